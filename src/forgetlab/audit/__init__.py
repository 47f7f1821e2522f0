"""`forgetlab audit`: where a fine-tuned model differs from its base, and what it lost.

    from forgetlab.audit import audit
    result = audit("tiny-gpt2", "runs/seq/20261201-1200", out="audits/seq")
    result.results["findings"]

Modules: suite (what to measure, `--suite default|FILE`), models (loading the two models:
names, run directories, peft adapters), measures (weight change, CKA, probes, perplexity,
unseen tasks, with intervals), findings (plain words), report (HTML), run (the command).
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name in ("audit", "AuditResult"):
        from forgetlab.audit import run

        return getattr(run, name)
    raise AttributeError(f"module 'forgetlab.audit' has no attribute {name!r}")


__all__ = ["AuditResult", "audit"]

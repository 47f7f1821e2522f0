"""Probing: where does forgetting live, in the representation or in the classifier?

    [probe]                       # in an experiment spec: probe after every stage
    probes = ["linear", "ridge", "prototype", "cosine_prototype"]

    from forgetlab.probing import Prober, ProbeSpec
    prober = Prober(ProbeSpec(), stream, learner, device, cache_dir=run_dir / "features",
                    seed=run_seed)
    prober.observe(-1); ...; prober.observe(stage); prober.results(R)

Modules: spec (ProbeSpec), design (which examples: pool, subsamples, test), features
(extraction + FeatureCache), probes (+ one file per kind, each with a batched fit), batched
and lbfgs (many probes at once in torch), stage (one stage's probes: features in, numbers
out), stats (intervals, paired tests), cka, geometry, prober (Prober), schema
(ProbingResults), summary (P vs R in one paragraph), offline (probing finished runs and
pretraining checkpoints). Only the spec is imported eagerly (the experiment spec needs it);
the rest loads on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from forgetlab.probing.spec import ProbeSpec

_LAZY = {
    "Prober": "forgetlab.probing.prober",
    "ProbingResults": "forgetlab.probing.schema",
    "probe_kinds": "forgetlab.probing.probes",
    "build_probe": "forgetlab.probing.probes",
    "linear_cka": "forgetlab.probing.cka",
    "probe_run": "forgetlab.probing.offline",
    "probe_checkpoints": "forgetlab.probing.offline",
    "probe_stage": "forgetlab.probing.stage",
    "probing_summary": "forgetlab.probing.summary",
}

__all__ = ["ProbeSpec", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'forgetlab.probing' has no attribute {name!r}")

"""Dataset inference (Maini et al. 2024): was a model trained on a suspect dataset?

    from forgetlab.inference import infer, membership_test
    infer("runs/ft/model", suspect="a.jsonl", validation="b.jsonl", out="di")  # files, report
    membership_test(model, tokenizer, members, nonmembers, seed=0)           # numbers only

Modules: perturb (deterministic text edits), features (per-token statistics -> features),
causal / encoder (feature tables of causal LMs / classifiers), scoring (which one fits the
model), aggregate (linear model + Welch t-test over repeated splits), loading (files and
models), report (HTML page), api (the two entry points).
"""

from __future__ import annotations


def infer(*args, **kwargs):
    """See `forgetlab.inference.api.infer`."""
    from forgetlab.inference.api import infer as _infer

    return _infer(*args, **kwargs)


def membership_test(*args, **kwargs):
    """See `forgetlab.inference.api.membership_test`."""
    from forgetlab.inference.api import membership_test as _membership_test

    return _membership_test(*args, **kwargs)


__all__ = ["infer", "membership_test"]

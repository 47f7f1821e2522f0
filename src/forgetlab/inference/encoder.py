"""Per-example membership features of labelled texts under a classifier.

    table = classifier_features(logits_fn, texts, labels, seed=0)   # pandas DataFrame

`logits_fn(texts, labels)` returns (N, K) logits over the classes that compete for each text
and the index of its true class among them (a forgetlab ClassifierLearner scores a task's own
classes; a transformers sequence classifier all of its labels). Features:

    loss          cross-entropy of the true class
    confidence    softmax probability of the true class
    margin        true class logit minus the best other logit
    {perturbation}_{loss,confidence,margin}_diff   value on the text minus value on its
                  perturbed version (members: larger gaps, the model fits their exact wording)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from forgetlab.inference.perturb import DEFAULT_PERTURBATIONS, perturb

LogitsFn = Callable[[Sequence[str], Sequence], tuple[np.ndarray, np.ndarray]]
BASE = ("loss", "confidence", "margin")


def logit_features(logits: np.ndarray, target: np.ndarray) -> dict[str, np.ndarray]:
    """loss, confidence and margin of each row of (N, K) logits with true index `target`."""
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(axis=1, keepdims=True)
    logz = np.log(np.exp(shifted).sum(axis=1))
    rows = np.arange(len(logits))
    true_logp = shifted[rows, target] - logz
    others = logits.copy()
    others[rows, target] = -np.inf
    best_other = others.max(axis=1)  # -inf with a single class: margin 0
    margin = np.where(np.isfinite(best_other), logits[rows, target] - best_other, 0.0)
    return {"loss": -true_logp, "confidence": np.exp(true_logp), "margin": margin}


def classifier_features(
    logits_fn: LogitsFn,
    texts: Sequence[str],
    labels: Sequence,
    *,
    seed: int = 0,
    perturbations: Sequence[str] = DEFAULT_PERTURBATIONS,
):
    """One row of features per labelled text (see the module docstring)."""
    import pandas as pd

    base = logit_features(*logits_fn(texts, labels))
    table = dict(base)
    for p in perturbations:
        changed = logit_features(*logits_fn([perturb(t, p, seed) for t in texts], labels))
        for name in BASE:
            table[f"{p}_{name}_diff"] = base[name] - changed[name]
    return pd.DataFrame(table)

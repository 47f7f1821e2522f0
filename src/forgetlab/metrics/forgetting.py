"""The standard figures of an accuracy matrix, as pure functions.

R is T x T: R[i][j] is the accuracy on task j after training stages 0..i. b[j] is the
accuracy on task j before any training. Figures whose mean is over no task (e.g. BWT of a
one-task stream) are NaN.
"""

from __future__ import annotations

import numpy as np

from forgetlab.metrics.baselines import near_chance
from forgetlab.metrics.registry import MetricInputs, compute_all, metric


def _square(R) -> np.ndarray:
    R = np.asarray(R, dtype=float)
    if R.ndim != 2 or R.shape[0] != R.shape[1] or R.shape[0] == 0:
        raise ValueError(f"accuracy matrix must be square and non-empty, got shape {R.shape}")
    return R


def _mean(values) -> float:
    values = list(values)
    return float(np.mean(values)) if values else float("nan")


@metric(
    "average_accuracy",
    higher_is_better=True,
    description="mean accuracy over all tasks after the last stage",
)
def average_accuracy(R) -> float:
    """Mean over j of R[T-1][j]: accuracy on every task at the end."""
    R = _square(R)
    return float(R[-1].mean())


@metric(
    "learning_accuracy",
    higher_is_better=True,
    description="mean accuracy on each task just after learning it (the diagonal)",
)
def learning_accuracy(R) -> float:
    """Mean over j of R[j][j]: accuracy on each task just after learning it."""
    R = _square(R)
    return float(np.diag(R).mean())


def _near_chance(R, inputs: MetricInputs) -> str | None:
    if inputs.chance is None or inputs.majority is None:
        return None
    return near_chance(R, inputs.chance, inputs.majority)


def _random_head(inputs: MetricInputs) -> str | None:
    if inputs.mode != "classifier":
        return None
    return (
        "undefined for classifier learners: task j's head is untrained until stage j, so "
        "R[j-1][j] scores a random head (see probe_fwt, with [probe])"
    )


@metric(
    "bwt",
    higher_is_better=True,
    description="backward transfer: mean change on old tasks from learning to the end",
    caveat=_near_chance,
)
def bwt(R) -> float:
    """Backward transfer: mean over j < T-1 of R[T-1][j] - R[j][j] (negative = forgetting)."""
    R = _square(R)
    T = R.shape[0]
    return _mean(R[T - 1, j] - R[j, j] for j in range(T - 1))


@metric(
    "average_forgetting",
    higher_is_better=False,
    description="mean drop from each old task's best accuracy to its final one",
    caveat=_near_chance,
)
def average_forgetting(R) -> float:
    """Mean over j < T-1 of the largest drop from any earlier stage i in [j, T-2] to the end."""
    R = _square(R)
    T = R.shape[0]
    return _mean(max(R[i, j] for i in range(j, T - 1)) - R[T - 1, j] for j in range(T - 1))


@metric(
    "fwt",
    higher_is_better=True,
    description="forward transfer: accuracy on a task before its stage minus before training "
    "(text-to-text learners only)",
    undefined=_random_head,
)
def fwt(R, b) -> float:
    """Forward transfer (Lopez-Paz & Ranzato 2017): mean over j >= 1 of R[j-1][j] - b[j], the
    gain on task j before training it. Meaningful when b is a real zero-shot score (a causal LM
    ranking label words); a classifier's head for task j is random until stage j, so for
    classifier learners the run reports it as None (`undefined`) and `probe_fwt` instead."""
    R = _square(R)
    b = np.asarray(b, dtype=float)
    if b.shape != (R.shape[0],):
        raise ValueError(f"initial accuracies must have length {R.shape[0]}, got {b.shape}")
    return _mean(R[j - 1, j] - b[j] for j in range(1, R.shape[0]))


@metric(
    "probe_fwt",
    higher_is_better=True,
    description="representation forward transfer: linear-probe accuracy on task j after stage "
    "j-1 minus the untrained model's (P[j-1][j] - P0[j]); needs [probe]",
)
def probe_fwt(probe_ahead, probe_baseline) -> float:
    """Mean over j >= 1 of P[j-1][j] - P0[j]: how much better a probe reads task j from the
    model trained on tasks 0..j-1 than from the untrained model (same classes, same probe)."""
    return _mean(
        a - z
        for a, z in zip(probe_ahead[1:], probe_baseline[1:])
        if a is not None and z is not None
    )


def _old(values, T: int) -> list[tuple[int, float]]:
    return [(j, v) for j, v in enumerate(values[: T - 1]) if v is not None]


@metric(
    "recovery_accuracy",
    higher_is_better=True,
    description="mean accuracy on old tasks after k steps of relearning each ([recovery])",
)
def recovery_accuracy(R, recovered) -> float:
    """Mean over j < T-1 of the accuracy after relearning task j for k steps."""
    R = _square(R)
    return _mean(v for _, v in _old(recovered, R.shape[0]))


@metric(
    "recovery_gain",
    higher_is_better=True,
    description="what k relearning steps bring back: recovered minus final accuracy, old tasks",
)
def recovery_gain(R, recovered) -> float:
    """Mean over j < T-1 of recovered[j] - R[T-1][j]."""
    R = _square(R)
    return _mean(v - R[-1, j] for j, v in _old(recovered, R.shape[0]))


@metric(
    "recovery_savings",
    higher_is_better=True,
    description="recovered accuracy minus the untrained model's after the same k steps",
)
def recovery_savings(R, recovered, recovery_baseline) -> float:
    """Mean over j < T-1 of recovered[j] - baseline[j] (relearning from the untrained model)."""
    R = _square(R)
    base = dict(_old(recovery_baseline, R.shape[0]))
    return _mean(v - base[j] for j, v in _old(recovered, R.shape[0]) if j in base)


@metric(
    "overwritten_margin_change",
    higher_is_better=True,
    description="facts conflicts: change of the original object's log-prob margin (new object "
    "excluded) over the last task, on the facts it rewrites",
)
def overwritten_margin_change(conflict_margin_change) -> float:
    v = conflict_margin_change.get("overwritten")
    return float("nan") if v is None else float(v)


@metric(
    "untouched_margin_change",
    higher_is_better=True,
    description="facts conflicts: the same margin change on the facts the last task leaves alone",
)
def untouched_margin_change(conflict_margin_change) -> float:
    v = conflict_margin_change.get("untouched")
    return float("nan") if v is None else float(v)


def all_metrics(R, b) -> dict[str, float]:
    """Every registered figure of (R, b) that needs nothing else, by name."""
    return compute_all(R, b)

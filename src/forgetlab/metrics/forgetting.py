"""The standard figures of an accuracy matrix, as pure functions.

R is T x T: R[i][j] is the accuracy on task j after training stages 0..i. b[j] is the
accuracy on task j before any training. Figures whose mean is over no task (e.g. BWT of a
one-task stream) are NaN.
"""

from __future__ import annotations

import numpy as np

from forgetlab.metrics.registry import compute_all, metric


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


@metric(
    "bwt",
    higher_is_better=True,
    description="backward transfer: mean change on old tasks from learning to the end",
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
)
def average_forgetting(R) -> float:
    """Mean over j < T-1 of the largest drop from any earlier stage i in [j, T-2] to the end."""
    R = _square(R)
    T = R.shape[0]
    return _mean(max(R[i, j] for i in range(j, T - 1)) - R[T - 1, j] for j in range(T - 1))


@metric(
    "fwt",
    higher_is_better=True,
    description="forward transfer: accuracy on a task before its stage minus before training",
)
def fwt(R, b) -> float:
    """Forward transfer: mean over j >= 1 of R[j-1][j] - b[j] (gain before training task j)."""
    R = _square(R)
    b = np.asarray(b, dtype=float)
    if b.shape != (R.shape[0],):
        raise ValueError(f"initial accuracies must have length {R.shape[0]}, got {b.shape}")
    return _mean(R[j - 1, j] - b[j] for j in range(1, R.shape[0]))


def all_metrics(R, b) -> dict[str, float]:
    """Every registered figure of (R, b), by name."""
    return compute_all(R, b)

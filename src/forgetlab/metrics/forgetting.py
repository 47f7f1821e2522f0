"""The standard figures of an accuracy matrix, as pure functions.

R is T x T: R[i][j] is the accuracy on task j after training stages 0..i. b[j] is the
accuracy on task j before any training. Figures whose mean is over no task (e.g. BWT of a
one-task stream) are NaN.
"""

from __future__ import annotations

import numpy as np


def _square(R) -> np.ndarray:
    R = np.asarray(R, dtype=float)
    if R.ndim != 2 or R.shape[0] != R.shape[1] or R.shape[0] == 0:
        raise ValueError(f"accuracy matrix must be square and non-empty, got shape {R.shape}")
    return R


def _mean(values) -> float:
    values = list(values)
    return float(np.mean(values)) if values else float("nan")


def average_accuracy(R) -> float:
    """Mean over j of R[T-1][j]: accuracy on every task at the end."""
    R = _square(R)
    return float(R[-1].mean())


def learning_accuracy(R) -> float:
    """Mean over j of R[j][j]: accuracy on each task just after learning it."""
    R = _square(R)
    return float(np.diag(R).mean())


def bwt(R) -> float:
    """Backward transfer: mean over j < T-1 of R[T-1][j] - R[j][j] (negative = forgetting)."""
    R = _square(R)
    T = R.shape[0]
    return _mean(R[T - 1, j] - R[j, j] for j in range(T - 1))


def average_forgetting(R) -> float:
    """Mean over j < T-1 of the largest drop from any earlier stage i in [j, T-2] to the end."""
    R = _square(R)
    T = R.shape[0]
    return _mean(max(R[i, j] for i in range(j, T - 1)) - R[T - 1, j] for j in range(T - 1))


def fwt(R, b) -> float:
    """Forward transfer: mean over j >= 1 of R[j-1][j] - b[j] (gain before training task j)."""
    R = _square(R)
    b = np.asarray(b, dtype=float)
    if b.shape != (R.shape[0],):
        raise ValueError(f"initial accuracies must have length {R.shape[0]}, got {b.shape}")
    return _mean(R[j - 1, j] - b[j] for j in range(1, R.shape[0]))


HIGHER_IS_BETTER: dict[str, bool] = {
    "average_accuracy": True,
    "learning_accuracy": True,
    "bwt": True,
    "average_forgetting": False,
    "fwt": True,
}


def all_metrics(R, b) -> dict[str, float]:
    """The five standard figures of (R, b), by name."""
    return {
        "average_accuracy": average_accuracy(R),
        "learning_accuracy": learning_accuracy(R),
        "bwt": bwt(R),
        "average_forgetting": average_forgetting(R),
        "fwt": fwt(R, b),
    }

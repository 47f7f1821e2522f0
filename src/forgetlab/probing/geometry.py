"""How classes sit in feature space: separability within a task, overlap across tasks.

    separability(X, y)                   # tr(S_between) / tr(S_within), higher = more separable
    overlap(X_old, y_old, X_new, y_new)  # spread / distance of the nearest old-new class pair

`overlap` takes the old class and the new class whose means are nearest, and divides their
mean within-class spread (root mean squared distance of a class's examples to its mean) by
the distance between the two means: above 1 the two classes' clouds overlap, near 0 they
are far apart relative to their size.
"""

from __future__ import annotations

import numpy as np


def _means(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(classes, class means (C, H), class spreads (C,): RMS distance to the class mean)."""
    classes = np.unique(y)
    means = np.stack([X[y == c].mean(0) for c in classes])
    spread = np.array(
        [np.sqrt(((X[y == c] - m) ** 2).sum(1).mean()) for c, m in zip(classes, means)]
    )
    return classes, means, spread


def separability(X: np.ndarray, y: np.ndarray) -> float:
    """Trace of the between-class scatter over trace of the within-class scatter."""
    X = np.asarray(X, dtype=np.float64)
    classes, means, _ = _means(X, y)
    if len(classes) < 2:
        return float("nan")
    counts = np.array([(y == c).sum() for c in classes])
    between = float((counts * ((means - X.mean(0)) ** 2).sum(1)).sum())
    within = float(sum(((X[y == c] - m) ** 2).sum() for c, m in zip(classes, means)))
    return between / within if within > 0 else float("inf")


def overlap(X_old: np.ndarray, y_old: np.ndarray, X_new: np.ndarray, y_new: np.ndarray) -> float:
    """Mean spread of the nearest (old, new) class pair over the distance of their means."""
    _, m_old, s_old = _means(np.asarray(X_old, dtype=np.float64), y_old)
    _, m_new, s_new = _means(np.asarray(X_new, dtype=np.float64), y_new)
    dist = np.linalg.norm(m_old[:, None, :] - m_new[None, :, :], axis=-1)  # (C_old, C_new)
    i, j = np.unravel_index(dist.argmin(), dist.shape)
    spread = (s_old[i] + s_new[j]) / 2
    return float(spread / dist[i, j]) if dist[i, j] > 0 else float("inf")

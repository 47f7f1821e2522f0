"""Linear centered kernel alignment (Kornblith et al., ICML 2019) between two feature sets
of the same examples: 1 for identical features, invariant to rotations and isotropic
scaling, 0 for unrelated ones.

    linear_cka(features_before, features_after)   # (N, H1), (N, H2) -> float in [0, 1]
"""

from __future__ import annotations

import numpy as np


def linear_cka(X: np.ndarray, Y: np.ndarray) -> float:
    """||Y'X||_F^2 / (||X'X||_F ||Y'Y||_F) on column-centered X, Y (rows = the same examples).
    Computed with the (N, N) Gram matrices when there are fewer examples than features."""
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"CKA needs the same examples: {X.shape[0]} vs {Y.shape[0]} rows")
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    X = X - X.mean(0)
    Y = Y - Y.mean(0)
    if X.shape[0] < max(X.shape[1], Y.shape[1]):
        K, L = X @ X.T, Y @ Y.T
        cross, nx, ny = float((K * L).sum()), np.linalg.norm(K), np.linalg.norm(L)
    else:
        cross = float(np.linalg.norm(Y.T @ X) ** 2)
        nx, ny = np.linalg.norm(X.T @ X), np.linalg.norm(Y.T @ Y)
    if nx == 0 or ny == 0:
        return float("nan")  # constant features: similarity undefined
    return cross / float(nx * ny)

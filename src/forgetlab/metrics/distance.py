"""Forgetting as a function of distance: how much a task is forgotten d stages after learning it.

    forgetting_by_distance(R)     # array of length T-1; [d-1] = mean drop at distance d
    accuracy_by_distance(R)       # array of length T; [d] = mean accuracy d stages after

Distance d = (stage at test) - (stage the task was learned). With R[i][j] the accuracy on
task j after stage i, the drop at distance d averages R[j][j] - R[j+d][j] over the tasks j
that have a stage j + d (T - d of them). On long streams (20+ tasks) this separates "how
recently" from "which task": a flat curve means forgetting happens at once, a rising one that
it accumulates.
"""

from __future__ import annotations

import numpy as np

from forgetlab.metrics.forgetting import _square


def accuracy_by_distance(R) -> np.ndarray:
    """[d] = mean over j of R[j + d][j], for d = 0..T-1 (d = 0: the learning accuracy)."""
    R = _square(R)
    T = R.shape[0]
    return np.array([np.mean([R[j + d, j] for j in range(T - d)]) for d in range(T)])


def forgetting_by_distance(R) -> np.ndarray:
    """[d - 1] = mean over j of R[j][j] - R[j + d][j], for d = 1..T-1 (empty for T = 1)."""
    R = _square(R)
    T = R.shape[0]
    return np.array([np.mean([R[j, j] - R[j + d, j] for j in range(T - d)]) for d in range(1, T)])

"""What an accuracy means: the chance level of each cell's candidate set and each task's
majority-class accuracy, and the check that a forgetting figure has something to measure.

    chance = chance_matrix(stream)          # [stage][task], stages -1..T-1 (row 0: initial)
    majority = majority_accuracy(stream)    # [task]
    cell_marks(R, chance[1:], majority)     # "*" at or below chance, "°" at or below majority
    near_chance(R, chance[1:])              # a reason when the diagonal sits at chance

A prediction among k candidates scores 1/k by guessing; always answering a task's most
frequent training class scores that class's share of the task's test examples (a constant
that knows the task). Forgetting is the drop from the diagonal, so when the diagonal itself is
within `NEAR_CHANCE` of chance, a forgetting of zero means "never learned", not "kept": the
figure is flagged as uninformative.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

# Mean learning accuracy of the old tasks within this many points (0.05 = 5 points) of their
# floor max(chance, majority) makes forgetting and BWT uninformative.
NEAR_CHANCE = 0.05


def chance_matrix(stream) -> list[list[float]]:
    """1 / |candidates| of every (stage, task), stages -1 (before training) .. T-1."""
    T = len(stream.tasks)
    return [[1.0 / len(stream.candidates(i, j)) for j in range(T)] for i in range(-1, T)]


def majority_accuracy(stream) -> list[float]:
    """Per task: the test accuracy of always predicting its most frequent training class
    (ties: the lowest class id)."""
    out = []
    for task in stream.tasks:
        counts = Counter(ex.label for ex in task.train)
        top = max(counts.values())
        label = min(c for c, n in counts.items() if n == top)
        out.append(sum(ex.label == label for ex in task.test) / max(len(task.test), 1))
    return out


CHANCE_MARK = "*"  # at or below chance among the cell's candidates
MAJORITY_MARK = "°"  # above chance, at or below the task's majority-class accuracy


def cell_marks(R, chance: list[list[float]], majority: list[float]) -> list[list[str]]:
    """A mark per cell of R (rows = chance's rows): CHANCE_MARK at or below chance,
    MAJORITY_MARK at or below the majority-class accuracy, "" above both."""
    out = []
    for i, row in enumerate(R):
        marks = []
        for j, a in enumerate(row):
            if a is None or a != a:
                marks.append("")
            elif a <= chance[i][j] + 1e-9:
                marks.append(CHANCE_MARK)
            elif a <= majority[j] + 1e-9:
                marks.append(MAJORITY_MARK)
            else:
                marks.append("")
        out.append(marks)
    return out


def near_chance(R, chance: list[list[float]], majority: list[float] | None = None) -> str | None:
    """The reason forgetting is uninformative, or None: the old tasks' mean learning accuracy
    (diagonal of R, tasks 0..T-2; `chance` has R's rows) is within NEAR_CHANCE of their mean
    chance level."""
    R = np.asarray(R, dtype=float)
    T = R.shape[0]
    if T < 2:
        return None
    C = np.asarray(chance, dtype=float)
    diag = np.array([R[j, j] for j in range(T - 1)])
    floor = np.array([C[j, j] for j in range(T - 1)])
    if float(np.mean(diag - floor)) >= NEAR_CHANCE:
        return None
    return (
        f"uninformative: the old tasks' learning accuracy ({diag.mean():.3f}) is within "
        f"{NEAR_CHANCE:.2f} of chance ({floor.mean():.3f}); nothing learned, so nothing "
        "could be forgotten"
    )

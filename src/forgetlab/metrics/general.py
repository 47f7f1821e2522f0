"""General-ability metrics: what a run lost outside its stream (the `[general]` observer).

Their inputs are the general-ability series, one value before training then one after each
stage: `general_ppl` (perplexity on held-out general text) and `unseen_accuracy` (mean
accuracy on held-out tasks never trained).
"""

from __future__ import annotations

import math

from forgetlab.metrics.registry import metric


def _ends(series) -> tuple[float, float]:
    values = [float("nan") if v is None else float(v) for v in series]
    if len(values) < 2:
        raise ValueError("a general-ability series needs the value before training and after")
    return values[0], values[-1]


@metric(
    "general_ppl_increase",
    higher_is_better=False,
    description="relative rise of held-out general-text perplexity from before training to "
    "the end (0.25 = 25% higher)",
)
def general_ppl_increase(general_ppl) -> float:
    """ppl after the last stage / ppl before training - 1."""
    before, after = _ends(general_ppl)
    return after / before - 1 if before > 0 and math.isfinite(before) else float("nan")


@metric(
    "unseen_task_drop",
    higher_is_better=False,
    description="mean accuracy on held-out tasks never trained: before training minus at the "
    "end (positive = lost)",
)
def unseen_task_drop(unseen_accuracy) -> float:
    """unseen accuracy before training - unseen accuracy after the last stage."""
    before, after = _ends(unseen_accuracy)
    return before - after

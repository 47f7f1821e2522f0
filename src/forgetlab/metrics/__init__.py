"""Metrics: pure functions of the accuracy matrix R and the initial accuracies b."""

from forgetlab.metrics.forgetting import (
    HIGHER_IS_BETTER,
    all_metrics,
    average_accuracy,
    average_forgetting,
    bwt,
    fwt,
    learning_accuracy,
)

__all__ = [
    "all_metrics",
    "average_accuracy",
    "average_forgetting",
    "bwt",
    "fwt",
    "learning_accuracy",
    "HIGHER_IS_BETTER",
]

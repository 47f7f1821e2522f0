"""Metrics: pure functions of the accuracy matrix R and the initial accuracies b."""

from forgetlab.metrics.forgetting import (
    all_metrics,
    average_accuracy,
    average_forgetting,
    bwt,
    fwt,
    learning_accuracy,
)
from forgetlab.metrics.registry import Metric, higher_is_better, metrics

from forgetlab.metrics import general as _general  # noqa: E402,F401  isort: skip

__all__ = [
    "all_metrics",
    "average_accuracy",
    "average_forgetting",
    "bwt",
    "fwt",
    "learning_accuracy",
    "Metric",
    "metrics",
    "higher_is_better",
]

"""Metrics: pure functions of the accuracy matrix R, the initial accuracies b and what else a
run recorded (`MetricInputs`: learner mode, chance and majority baselines, probes)."""

from forgetlab.metrics.forgetting import (
    all_metrics,
    average_accuracy,
    average_forgetting,
    bwt,
    fwt,
    learning_accuracy,
    probe_fwt,
)
from forgetlab.metrics.registry import (
    Metric,
    MetricInputs,
    evaluate_metrics,
    higher_is_better,
    metrics,
)

from forgetlab.metrics import general as _general  # noqa: E402,F401  isort: skip

__all__ = [
    "all_metrics",
    "average_accuracy",
    "average_forgetting",
    "bwt",
    "evaluate_metrics",
    "fwt",
    "learning_accuracy",
    "probe_fwt",
    "Metric",
    "MetricInputs",
    "metrics",
    "higher_is_better",
]

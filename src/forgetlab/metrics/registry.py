"""The metric registry: every figure computed from (R, b), with its direction and meaning.

    @metric("bwt", higher_is_better=True, description="backward transfer: ...")
    def bwt(R) -> float: ...

    metrics.get("bwt").higher_is_better     # used by reports, sweep statistics and `ls`
    compute_all(R, b)                       # {name: value} in registration order

A metric function takes the accuracy matrix R (and, when it declares a second parameter, the
initial accuracies b). Adding a metric is its function, decorated, and its test.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from forgetlab.registry import Registry


@dataclass(frozen=True)
class Metric:
    fn: Callable[..., float]
    higher_is_better: bool
    description: str

    @property
    def needs_initial(self) -> bool:
        return len(inspect.signature(self.fn).parameters) > 1

    def __call__(self, R, b=None) -> float:
        return self.fn(R, b) if self.needs_initial else self.fn(R)


metrics: Registry[Metric] = Registry("metric")


def metric(name: str, higher_is_better: bool, description: str):
    """Register the decorated function as the metric `name`."""

    def deco(fn: Callable[..., float]) -> Callable[..., float]:
        metrics.register(name, help=description)(Metric(fn, higher_is_better, description))
        return fn

    return deco


def compute_all(R, b) -> dict[str, float]:
    """Every registered metric of (R, b), by name, in registration order."""
    return {name: metrics.get(name)(R, b) for name in metrics.in_order()}


def higher_is_better(name: str) -> bool:
    return metrics.get(name).higher_is_better

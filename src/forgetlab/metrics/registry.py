"""The metric registry: every figure computed from (R, b), with its direction and meaning.

    @metric("bwt", higher_is_better=True, description="backward transfer: ...")
    def bwt(R) -> float: ...

    metrics.get("bwt").higher_is_better     # used by reports, sweep statistics and `ls`
    compute_all(R, b)                       # {name: value} in registration order

A metric function takes, by parameter name, the accuracy matrix `R`, the initial accuracies
`b`, or any other record of the run (`inputs`: e.g. `general_ppl`, the general-ability
perplexity before training and after each stage); a metric whose inputs a run did not record
is left out of `compute_all`. Adding a metric is its function, decorated, and its test.
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
    def params(self) -> list[str]:
        return list(inspect.signature(self.fn).parameters)

    @property
    def needs_initial(self) -> bool:
        return "b" in self.params

    @property
    def inputs(self) -> list[str]:
        """The run records it reads besides R and b (e.g. `general_ppl`)."""
        return [p for p in self.params if p not in ("R", "b")]

    def available(self, inputs=None) -> bool:
        return all((inputs or {}).get(p) is not None for p in self.inputs)

    def __call__(self, R=None, b=None, inputs=None) -> float:
        given = {"R": R, "b": b}
        return self.fn(*[given[p] if p in given else (inputs or {}).get(p) for p in self.params])


metrics: Registry[Metric] = Registry("metric")


def metric(name: str, higher_is_better: bool, description: str):
    """Register the decorated function as the metric `name`."""

    def deco(fn: Callable[..., float]) -> Callable[..., float]:
        metrics.register(name, help=description)(Metric(fn, higher_is_better, description))
        return fn

    return deco


def compute_all(R, b, inputs=None) -> dict[str, float]:
    """Every registered metric of (R, b) and the run records `inputs` (a mapping), by name,
    in registration order; metrics whose inputs are not recorded are left out."""
    return {
        name: metrics.get(name)(R, b, inputs)
        for name in metrics.in_order()
        if metrics.get(name).available(inputs)
    }


def higher_is_better(name: str) -> bool:
    return metrics.get(name).higher_is_better

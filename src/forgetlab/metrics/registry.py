"""The metric registry: every figure computed from (R, b), with its direction and meaning.

    @metric("bwt", higher_is_better=True, description="backward transfer: ...")
    def bwt(R) -> float: ...

    metrics.get("bwt").higher_is_better     # used by reports, sweep statistics and `ls`
    compute_all(R, b)                       # {name: value} in registration order
    evaluate_metrics(R, b, MetricInputs(mode="classifier", chance=..., majority=...))
                                            # (values, notes): a metric that does not apply
                                            # is None, with the reason in `notes`

A metric function takes, by parameter name, the accuracy matrix `R`, the initial accuracies
`b`, or any other record of the run (`MetricInputs`: the learner `mode`, the `chance` and
`majority` baselines, and what observers measured through `metric_inputs`, e.g.
`probe_ahead`, `recovered` or `general_ppl`); a metric whose inputs the run did not record is
left out. `undefined(inputs)` gives the reason a metric means nothing for a run (its value is
then None); `caveat(R, inputs)` flags a value that is computed but uninformative (it stays,
with the note). Adding a metric is its function, decorated, and its test.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from forgetlab.registry import Registry


class MetricInputs(dict):
    """What a run knows besides R and b, by name; a missing name reads as None (not recorded).
    Known to the run: `mode` ("classifier" | "text_to_text"), `chance` (rows of R:
    1 / |candidate set|), `majority` ([task]: accuracy of always its majority class); the
    observers add theirs (`Observer.metric_inputs`)."""

    def __init__(self, mapping: Mapping | None = None, **named) -> None:
        super().__init__({**(mapping or {}), **named})

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return self.get(name)


@dataclass(frozen=True)
class Metric:
    fn: Callable[..., float]
    higher_is_better: bool
    description: str
    undefined: Callable[[MetricInputs], str | None] | None = None
    caveat: Callable[..., str | None] | None = None

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

    def available(self, inputs: Mapping | None = None) -> bool:
        """Whether the run recorded every input the metric reads (besides R and b)."""
        return all((inputs or {}).get(p) is not None for p in self.inputs)

    def __call__(self, R=None, b=None, inputs: Mapping | None = None) -> float:
        given = {"R": R, "b": b}
        return self.fn(*[given[p] if p in given else (inputs or {}).get(p) for p in self.params])


metrics: Registry[Metric] = Registry("metric")


def metric(
    name: str,
    higher_is_better: bool,
    description: str,
    undefined: Callable[[MetricInputs], str | None] | None = None,
    caveat: Callable[..., str | None] | None = None,
):
    """Register the decorated function as the metric `name` (see the module docstring)."""

    def deco(fn: Callable[..., float]) -> Callable[..., float]:
        entry = Metric(fn, higher_is_better, description, undefined, caveat)
        metrics.register(name, help=description)(entry)
        return fn

    return deco


def compute_all(R, b, inputs: Mapping | None = None) -> dict[str, float]:
    """Every registered metric of (R, b) and the run records `inputs`, by name, in
    registration order; metrics whose inputs are not recorded are left out."""
    return {
        name: metrics.get(name)(R, b, inputs)
        for name in metrics.in_order()
        if metrics.get(name).available(inputs)
    }


def evaluate_metrics(R, b, inputs: Mapping) -> tuple[dict[str, float | None], dict[str, str]]:
    """(values, notes): every metric whose inputs the run recorded; None (with its reason in
    notes) where it does not apply; notes also flag values that are uninformative."""
    inputs = inputs if isinstance(inputs, MetricInputs) else MetricInputs(inputs)
    values: dict[str, float | None] = {}
    notes: dict[str, str] = {}
    for name in metrics.in_order():
        m = metrics.get(name)
        if not m.available(inputs):
            continue
        reason = m.undefined(inputs) if m.undefined is not None else None
        if reason:
            values[name], notes[name] = None, reason
            continue
        values[name] = m(R, b, inputs)
        flag = m.caveat(R, inputs) if m.caveat is not None else None
        if flag:
            notes[name] = flag
    return values, notes


def higher_is_better(name: str) -> bool:
    return metrics.get(name).higher_is_better

"""The metric registry: every figure computed from (R, b), with its direction and meaning.

    @metric("bwt", higher_is_better=True, description="backward transfer: ...")
    def bwt(R) -> float: ...

    metrics.get("bwt").higher_is_better     # used by reports, sweep statistics and `ls`
    compute_all(R, b)                       # {name: value} in registration order
    evaluate_metrics(R, b, MetricInputs(mode="classifier", chance=..., majority=...))
                                            # (values, notes): a metric that does not apply
                                            # is None, with the reason in `notes`

A metric function takes the accuracy matrix R and, by parameter name, the initial accuracies
`b` or any field of `MetricInputs` (e.g. `probe_ahead`); a metric whose inputs the run did not
record (no probing) is left out. `undefined(inputs)` gives the reason a metric means nothing
for a run (its value is then None); `caveat(R, inputs)` flags a value that is computed but
uninformative (it stays, with the note). Adding a metric is its function, decorated, and its
test.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields

from forgetlab.registry import Registry


@dataclass(frozen=True)
class MetricInputs:
    """What a run knows besides R and b (None: not recorded)."""

    mode: str | None = None  # the learner: "classifier" | "text_to_text"
    chance: list[list[float]] | None = None  # rows of R: 1 / |candidate set|
    majority: list[float] | None = None  # [task]: accuracy of always its majority class
    probe_ahead: list[float | None] | None = None  # [task]: P[j-1][j] (None for task 0)
    probe_baseline: list[float | None] | None = None  # [task]: P0[j], the untrained model's
    recovered: list[float | None] | None = None  # [task]: after k relearning steps (last stage)
    recovery_baseline: list[float | None] | None = None  # [task]: untrained model + k steps
    # facts conflicts: per group (overwritten, untouched), mean margin change over the last task
    conflict_margin_change: dict[str, float | None] | None = None

    def get(self, name: str):
        return getattr(self, name) if name in INPUT_NAMES else None


INPUT_NAMES = frozenset(f.name for f in fields(MetricInputs))


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
        return any(p not in INPUT_NAMES for p in self.params[1:])

    def available(self, inputs: MetricInputs) -> bool:
        """Whether the run recorded every input the metric reads (besides R and b)."""
        return all(inputs.get(p) is not None for p in self.params if p in INPUT_NAMES)

    def __call__(self, R, b=None, inputs: MetricInputs | None = None) -> float:
        inputs = inputs or MetricInputs()
        args = []
        for i, p in enumerate(self.params):
            if p in INPUT_NAMES:
                args.append(inputs.get(p))
            elif i == 0:
                args.append(R)
            else:
                args.append(b)
        return self.fn(*args)


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


def compute_all(R, b) -> dict[str, float]:
    """Every registered metric of (R, b) that needs nothing else, by name, in order."""
    empty = MetricInputs()
    return {
        name: metrics.get(name)(R, b)
        for name in metrics.in_order()
        if metrics.get(name).available(empty)
    }


def evaluate_metrics(R, b, inputs: MetricInputs) -> tuple[dict[str, float | None], dict[str, str]]:
    """(values, notes): every metric whose inputs the run recorded; None (with its reason in
    notes) where it does not apply; notes also flag values that are uninformative."""
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

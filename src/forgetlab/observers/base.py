"""The observer protocol: everything measured or recorded around the stages of a run.

The stage loop (`forgetlab.train.stream.train_stream`) trains; observers look. Before the
first stage each observer sees the untrained model, after every stage the trained one, and
each returns a JSON-able record that the run stores with the stage:

    before_stream(view) -> dict | None   the model before training (stage -1)
    before_stage(view)                   just before stage `view.stage` trains (e.g. reset a
                                         peak-memory counter); returns nothing
    on_train_log(stage, step, values)    every `train.log_every` steps (loss, lr, tokens/s)
    after_stage(view) -> dict | None     after training stage `view.stage`; the dict's keys
                                         become fields of that stage's record in results.json
    results(history) -> dict | None      at the end (and after every stage, for the partial
                                         results.json): top-level sections of results.json
    metric_inputs(history) -> dict       named inputs of registered metrics (e.g. probe_ahead,
                                         recovered, general_ppl; see `forgetlab.metrics`)
    state_dict() / load_state_dict(d)    what a resumed run needs (JSON + tensors, no pickle)
    close(results, failed)               release files, trackers (after the last stage)

Optional: `wants_hidden(stage)` and `on_hidden(task, batch, hidden_states)` to receive the
per-layer hidden states of the evaluation forward (probing takes its test features there).

An observer is one module: a class registered with `@observers.register("name")`, with an
optional `section` (its table in the experiment spec, e.g. `[probe]`) and `Spec`, and a
`build(spec, env)` classmethod that returns None when the spec does not ask for it. Observers
run in registration order, each seeing what the earlier ones returned at the same stage
(`view.earlier`). Hooks return values; they never change the learner or the run directory
except through what they own (a checkpoint folder, a tracker).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from forgetlab.registry import Registry

if TYPE_CHECKING:
    import torch

    from forgetlab.models.learner import Learner
    from forgetlab.spec import ExperimentSpec
    from forgetlab.streams.task import Stream
    from forgetlab.train.loop import StageStats


@dataclass(frozen=True)
class ObserverEnv:
    """What an observer may keep from the run it observes (given once, at build)."""

    stream: Stream
    learner: Learner
    device: torch.device
    run_dir: Path | None  # None: an in-memory run (tests, benchmarks); nothing is written


@dataclass(frozen=True)
class StageView:
    """One observation point: the model after stage `stage` (-1: before training)."""

    stage: int
    learner: Learner
    stream: Stream
    device: torch.device
    seed: int
    encode: Callable  # the run's tokenization cache: list[Example] -> list[Encoded]
    stats: StageStats | None = None  # this stage's training (None at stage -1)
    earlier: Mapping[str, dict] = field(default_factory=dict)  # observers before this one
    progress: Any = None  # a progress reporter (rich Progress or a silent stand-in)
    hidden_listeners: tuple[Callable, ...] = ()  # on_hidden of observers that want states
    prediction_listeners: tuple[Callable, ...] = ()  # on_predicted of observers that take them
    touched: frozenset[str] = frozenset()  # parameters trained in any stage so far


@dataclass
class History:
    """What the observers recorded so far: `initial[name]` at stage -1, `stages[i][name]`."""

    initial: dict[str, dict] = field(default_factory=dict)
    stages: list[dict[str, dict]] = field(default_factory=list)

    def merged(self, stage: int) -> dict[str, Any]:
        """Every observer's record of `stage` (-1: initial) as one flat dict."""
        records = self.initial if stage < 0 else self.stages[stage]
        return {k: v for rec in records.values() for k, v in (rec or {}).items()}

    def column(self, key: str) -> list:
        """`key` from each finished stage's merged record, in stage order."""
        return [self.merged(i).get(key) for i in range(len(self.stages))]

    def accuracy_matrix(self) -> list[list[float]]:
        return self.column("accuracy")

    def initial_accuracy(self) -> list[float]:
        return self.merged(-1).get("accuracy", [])


class Observer:
    """Base class: every hook is a no-op. Subclasses override what they measure."""

    name: ClassVar[str] = ""
    section: ClassVar[str | None] = None  # the spec table this observer owns, e.g. "probe"
    Spec: ClassVar[type | None] = None  # its pydantic model (a SpecModel)
    optional: ClassVar[bool] = True  # section absent = None (off); else a default instance

    @classmethod
    def build(cls, spec: ExperimentSpec, env: ObserverEnv) -> Observer | None:
        """The observer for this run, or None when `spec` does not ask for it."""
        return cls()

    @classmethod
    def check(cls, spec: ExperimentSpec, mode: str) -> None:
        """Raise a ForgetlabError when the spec asks for this observer and it cannot work
        with the learner mode; called by `forgetlab validate` and before a run writes."""

    def before_stream(self, view: StageView) -> dict | None:
        return None

    def before_stage(self, view: StageView) -> None:
        return None

    def on_train_log(self, stage: int, step: int, values: dict) -> None:
        """Every `train.log_every` optimizer steps: mean loss, lr, tokens/s (trackers)."""
        return None

    def after_stage(self, view: StageView) -> dict | None:
        return None

    def results(self, history: History) -> dict | None:
        return None

    def wants_hidden(self, stage: int) -> bool:
        return False

    def on_hidden(self, task: int, batch, hidden_states) -> None:
        return None

    def on_predicted(self, task: int, batch, predicted) -> None:
        """The evaluation pass's predicted class ids of each test batch (classifier and
        text-to-text streams), e.g. for paired tests of probes against the model."""
        return None

    def metric_inputs(self, history: History) -> dict:
        """Named inputs the registered metrics may read besides R and b (e.g. `probe_ahead`,
        `recovered`, or `general_ppl`: before training, then after each stage), from the
        records so far; see `forgetlab.metrics.registry`."""
        return {}

    def score_rows(self, history: History) -> list[tuple]:
        """Extra long-form rows for scores.csv: (stage, task, metric, value[, layer])."""
        return []

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        return None

    def close(self, results: dict | None, failed: bool) -> None:
        return None


observers: Registry[type[Observer]] = Registry("observer")


def register(name: str, help: str):
    """Register an Observer subclass under `name` (also its key in stage timings)."""

    def deco(cls: type[Observer]) -> type[Observer]:
        cls.name = name
        observers.register(name, help=help)(cls)
        return cls

    return deco


def spec_sections() -> dict[str, tuple[str, type, bool]]:
    """{section: (observer name, Spec, optional)} of every registered observer that owns a
    table of the experiment spec."""
    out: dict[str, tuple[str, type, bool]] = {}
    for name in observers.in_order():
        cls = observers.get(name)
        if cls.section is not None and cls.Spec is not None:
            out[cls.section] = (name, cls.Spec, cls.optional)
    return out


def build_observers(spec: ExperimentSpec, env: ObserverEnv) -> list[Observer]:
    """Every registered observer the spec asks for, in registration order."""
    built = (observers.get(n).build(spec, env) for n in observers.in_order())
    return [o for o in built if o is not None]

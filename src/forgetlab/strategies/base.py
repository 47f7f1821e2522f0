"""The strategy protocol: hooks that return values instead of changing the trainer.

The stage loop calls, for every strategy in the spec's order (each with its own seeded
`ctx.rng`, so one strategy's draws never move another's or the data shuffling):

    begin_task(ctx)                        before a stage: snapshot weights, fill buffers, add
                                           per-task modules (e.g. a LoRA adapter)
    train_batches(ctx, batches) -> list    the stage's batches (lists of encoded examples),
                                           e.g. with replayed examples mixed in (per epoch)
    learning_rate(ctx, lr) -> float        the stage's peak learning rate
    trainable(ctx, params) -> dict         the parameters to train this stage, from the
                                           candidates the learner and method allow
                                           (name -> Parameter); the loop sets requires_grad
                                           and builds the optimizer from the result
    train_mask(ctx, mask) -> Tensor        the (B, C) classes that compete in training
    penalty(ctx, batch, out) -> Tensor     an extra loss term (EWC, LwF...), or None
    adjust_gradients(ctx, params) -> dict  after backward, before clipping and the optimizer
                                           step: new gradients {name: Tensor} for some of the
                                           trained parameters (their `.grad` holds the step's
                                           gradient), or None; the loop writes them (A-GEM)
    end_task(ctx)                          after a stage: importance weights, anchors, memory
    route(learner, task_ids) -> ctx mgr    the context a forward of these tasks runs in (e.g.
                                           the task's own adapter), or None: installed on the
                                           learner by the run, used in training and test
    rebuild(learner)                       on resume, after the fitted state is back and before
                                           the weights load: recreate the modules it implies
    readout(learner, batch, candidates,    at prediction time: the (B, K) scores the prediction
            scores, features) -> Tensor    takes its argmax from, given the model's own (and
                                           the classifier's pooled features, else None), or
                                           None: unchanged (kNN memory); installed on the
                                           learner by the run, like `route`
    prompt_context(learner, examples)      the text put before each example's prompt when it is
            -> list[str] | None            tokenized (retrieved examples, RAG), or None: none;
                                           installed on the learner by the run, like `route`

Every hook the loop calls is timed in `strategy_cost` (`readout` and `prompt_context` run
inside evaluation and tokenization: strategies that use them report their own seconds).
Several strategies compose in order: batches pipe through them, parameter sets narrow in turn,
penalties add up, gradients are adjusted in turn, readouts apply in turn, contexts join.
Constructors only store their spec; state fitted during a run ends in `_`, so a fresh strategy
visibly holds none. A public method whose name is close to a hook's but is not one (`begin_tasks`,
`on_end_task`) is an error at class creation, so a typo cannot be a silent no-op.
"""

from __future__ import annotations

import difflib
import random
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import torch

from forgetlab.errors import ForgetlabError
from forgetlab.registry import Registry
from forgetlab.spec.base import SpecModel

if TYPE_CHECKING:
    from forgetlab.models import Batch, Encoded, Learner, ModelOutput
    from forgetlab.spec import TrainSpec
    from forgetlab.streams.task import Example, Stream, Task

# The hooks the stage loop calls (in this order within a stage), plus those the run calls.
HOOKS = (
    "begin_task",
    "train_batches",
    "learning_rate",
    "trainable",
    "train_mask",
    "penalty",
    "adjust_gradients",
    "end_task",
    "route",
    "rebuild",
    "readout",
    "prompt_context",
)
_HOOKLIKE = ("on_", "before_", "after_")
# Public methods of Strategy that are not hooks (the typo guard leaves them alone).
_NOT_HOOKS = ("check", "summary", "fitted_state", "state_bytes")

ItemBatches = list[list["Encoded"]]


@dataclass(frozen=True)
class TaskContext:
    """Everything a hook may read about the current stage. Hooks must not mutate the trainer."""

    stage: int
    stream: Stream
    learner: Learner
    train: TrainSpec
    device: torch.device
    rng: random.Random  # in a strategy's hooks: its own generator (seed, stage, position)
    encode: Callable[[list[Example]], list[Encoded]]
    make_batches: Callable[[list[Encoded], random.Random], ItemBatches]
    seed: int = 0  # the experiment's seed (strategy generators derive from it)

    @property
    def task(self) -> Task:
        return self.stream.tasks[self.stage]

    def batches(self, examples: list[Example]) -> ItemBatches:
        """Shuffled, length-grouped batches of `examples` (drawn with the stage's rng)."""
        return self.make_batches(self.encode(examples), self.rng)

    def encode_batch(self, batch: Batch) -> list[Encoded]:
        """The encoded examples of a collated batch (from the run's tokenization cache)."""
        return self.encode.lookup(batch.uids.tolist())

    def collated(
        self, examples: list[Example], batch_size: int, by_length: bool = False
    ) -> list[Batch]:
        """`examples` as collated batches on the device, in order, or sorted by length (less
        padding, e.g. for per-sample gradient passes where order does not matter)."""
        items = self.encode(examples)
        if by_length:
            items = sorted(items, key=lambda e: len(e.ids))
        return [
            self.learner.collate(items[i : i + batch_size]).to(self.device)
            for i in range(0, len(items), batch_size)
        ]


class Strategy:
    """Base class: every hook is a no-op. Subclasses set `Spec` and override hooks."""

    Spec: ClassVar[type[SpecModel]]
    # What the strategy needs, checked by `check`: {"mode" | "scenario" | "method":
    # (required value, why)}, e.g. {"mode": ("classifier", "it replays class logits")}.
    requires: ClassVar[dict[str, tuple[str, str]]] = {}
    # Fitted attributes rebuilt by begin_task at every stage, so not saved for resume.
    transient: ClassVar[tuple[str, ...]] = ()
    # Whether the strategy trains on a replay memory of earlier examples (er, derpp, agem):
    # one as large as the stream's training set makes it joint training (a run warns).
    replays: ClassVar[bool] = False

    def __init_subclass__(cls, **kw) -> None:
        super().__init_subclass__(**kw)
        for name, value in vars(cls).items():
            if name in HOOKS or name in _NOT_HOOKS or name.startswith("_") or not callable(value):
                continue
            close = difflib.get_close_matches(name, HOOKS, n=1, cutoff=0.75)
            if name.startswith(_HOOKLIKE) or close:
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise TypeError(
                    f"{cls.__name__}.{name} looks like a hook but is not one{hint}; "
                    f"hooks are {', '.join(HOOKS)}"
                )

    def __init__(self, spec: SpecModel) -> None:
        self.spec = spec

    def begin_task(self, ctx: TaskContext) -> None:
        return None

    def train_batches(self, ctx: TaskContext, batches: ItemBatches) -> ItemBatches:
        return batches

    def penalty(self, ctx: TaskContext, batch: Batch, out: ModelOutput) -> torch.Tensor | None:
        return None

    def adjust_gradients(
        self, ctx: TaskContext, params: dict[str, torch.nn.Parameter]
    ) -> dict[str, torch.Tensor] | None:
        """New gradients for some of `params` (whose `.grad` holds this step's), or None."""
        return None

    def end_task(self, ctx: TaskContext) -> None:
        return None

    def learning_rate(self, ctx: TaskContext, lr: float) -> float:
        """The peak learning rate for this stage (default: the spec's)."""
        return lr

    def trainable(
        self, ctx: TaskContext, params: dict[str, torch.nn.Parameter]
    ) -> dict[str, torch.nn.Parameter]:
        """The parameters to train this stage (default: every candidate)."""
        return params

    def train_mask(self, ctx: TaskContext, mask: torch.Tensor) -> torch.Tensor:
        """The (B, C) mask of classes competing in training (default: the scenario's)."""
        return mask

    def route(self, learner: Learner, task_ids: torch.Tensor) -> AbstractContextManager | None:
        """The context a forward of a batch of these tasks runs in; None: no routing."""
        return None

    def rebuild(self, learner: Learner) -> None:
        """On resume: recreate what the restored fitted state implies (e.g. adapters)."""
        return None

    def readout(
        self,
        learner: Learner,
        batch: Batch,
        candidates: tuple[int, ...],
        scores: torch.Tensor,
        features: torch.Tensor | None,
    ) -> torch.Tensor | None:
        """The (B, K) scores a prediction takes its argmax from; None: the model's own."""
        return None

    def prompt_context(self, learner: Learner, examples: list[Example]) -> list[str] | None:
        """Text put before each example's prompt when it is tokenized; None: nothing."""
        return None

    def check(self, mode: str, scenario: str, method: str) -> None:
        """Raise a ForgetlabError if the strategy cannot work with this learner mode
        ("classifier" | "text_to_text"), scenario or fine-tuning method; called by
        `forgetlab validate` and by run before anything is written."""
        kind, have = self.spec.kind, {"mode": mode, "scenario": scenario, "method": method}
        for what, (value, why) in self.requires.items():
            if have[what] == value:
                continue
            if what == "mode":
                need = (
                    "a classifier" if value == "classifier" else "a causal LM (text_to_text mode)"
                )
                raise ForgetlabError(f"strategy {kind!r} needs {need} ({why})")
            if what == "scenario":
                raise ForgetlabError(
                    f"strategy {kind!r} needs a {value.replace('_', '-')} stream ({why}); "
                    f"this stream is {scenario}"
                )
            raise ForgetlabError(f"strategy {kind!r} {why}; use method {value!r}, not {method!r}")

    def summary(self) -> dict:
        """JSON-able facts about what the strategy did, recorded in results.json."""
        return {}

    def fitted_state(self) -> dict[str, object]:
        """Attributes fitted during a run (names ending in `_`)."""
        return {k: v for k, v in vars(self).items() if k.endswith("_") and not k.startswith("_")}

    def state_bytes(self) -> int:
        """Memory held in fitted state: tensors, and token ids of stored examples."""
        return _nbytes(self.fitted_state())


def _nbytes(x: object) -> int:
    if isinstance(x, torch.Tensor):
        return x.numel() * x.element_size()
    if isinstance(x, torch.nn.Module):  # e.g. a frozen teacher copy
        return sum(_nbytes(t) for t in (*x.parameters(), *x.buffers()))
    if hasattr(x, "items") and isinstance(x.items, list):  # a replay memory
        return _nbytes(x.items)
    if isinstance(x, dict):
        return sum(_nbytes(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return sum(_nbytes(v) for v in x)
    ids = getattr(x, "ids", None)
    return 8 * len(ids) if isinstance(ids, tuple) else 0


strategies: Registry[type[Strategy]] = Registry("strategy")

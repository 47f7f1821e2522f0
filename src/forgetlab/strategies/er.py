"""`er`: experience replay. A fixed-size memory of past examples is mixed into every batch.

[strategy]
kind = "er"
memory_size = 200          # examples (or memory_fraction = 0.1 of each task)
selection = "reservoir"    # or "class_balanced"
replay_ratio = 1.0         # replayed examples per current example in a batch

Every batch gets round(replay_ratio * batch_size) distinct memory examples. To keep the
length grouping of the stage's batches (padding is wasted compute), a batch's replayed
examples have lengths like its own: the batches are ranked by length and the batch at rank r
draws from the memory's length quantile (r + u) / n (u uniform), so each memory example is
still replayed with the same chance (`ReplayMemory.sample_similar`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeFloat, PositiveInt, model_validator

from forgetlab.spec.base import SpecModel
from forgetlab.strategies.base import ItemBatches, Strategy, TaskContext, strategies
from forgetlab.strategies.buffers import ReplayMemory


class ERSpec(SpecModel):
    kind: Literal["er"] = "er"
    memory_size: PositiveInt | None = Field(200, description="examples kept in memory")
    memory_fraction: float | None = Field(
        None, gt=0, le=1, description="instead: keep this share of each task's examples"
    )
    selection: Literal["reservoir", "class_balanced"] = "reservoir"
    replay_ratio: NonNegativeFloat = Field(
        1.0, description="replayed examples added per current example in each batch"
    )

    @model_validator(mode="after")
    def _size(self) -> ERSpec:
        if self.memory_fraction is not None and "memory_size" in self.model_fields_set:
            raise ValueError("set memory_size or memory_fraction, not both")
        return self


def memory_capacity(spec, ctx: TaskContext) -> int:
    """memory_size, or memory_fraction of every task's training set so far."""
    if spec.memory_fraction is None:
        return spec.memory_size
    seen = sum(len(t.train) for t in ctx.stream.tasks[: ctx.stage + 1])
    return max(1, round(spec.memory_fraction * seen))


@strategies.register("er", help="experience replay from a fixed-size memory (reservoir/balanced)")
class ER(Strategy):
    Spec = ERSpec
    replays = True

    def begin_task(self, ctx: TaskContext) -> None:
        if not hasattr(self, "memory_"):
            self.memory_ = ReplayMemory(0, self.spec.selection)

    def train_batches(self, ctx: TaskContext, batches: ItemBatches) -> ItemBatches:
        k = round(self.spec.replay_ratio * ctx.train.batch_size)
        if not len(self.memory_) or k == 0:
            return batches
        longest = [max((len(e.ids) for e in items), default=0) for items in batches]
        ranked = sorted(range(len(batches)), key=lambda i: (longest[i], i))
        out = list(batches)
        for r, i in enumerate(ranked):
            at = (r + ctx.rng.random()) / len(batches)
            out[i] = batches[i] + self.memory_.sample_similar(k, ctx.rng, at)
        return out

    def end_task(self, ctx: TaskContext) -> None:
        self.memory_.capacity = memory_capacity(self.spec, ctx)
        self.memory_.add(ctx.encode(list(ctx.task.train)), ctx.rng)

"""`joint`: at each stage, train on every task seen so far (multitask; the upper bound)."""

from __future__ import annotations

from typing import Literal

from forgetlab.spec.base import SpecModel
from forgetlab.strategies.base import ItemBatches, Strategy, TaskContext, strategies


class JointSpec(SpecModel):
    kind: Literal["joint"] = "joint"


@strategies.register("joint", help="multitask training on all tasks so far (upper bound)")
class Joint(Strategy):
    Spec = JointSpec

    def train_batches(self, ctx: TaskContext, batches: ItemBatches) -> ItemBatches:
        seen = [ex for task in ctx.stream.tasks[: ctx.stage + 1] for ex in task.train]
        return ctx.batches(seen)

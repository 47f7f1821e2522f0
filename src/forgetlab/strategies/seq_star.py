"""`seq_star`: SEQ* (Zheng et al., "Learn or Recall?", ACL 2024).

Sequential fine-tuning made strong by three changes: after a warm-up on the first task the
backbone is frozen; when a new task arrives the heads of old classes are frozen (outside
the optimizer: no momentum, no weight decay); and the head is a cosine classifier.
Optionally (`preallocate`), the rows of classes still to come compete from the first task
on, as negatives. With a
plain linear head and frozen old rows, the new rows grow until they win on every input
and SEQ* collapses like `seq`; the cosine head is what makes it work.
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field, PositiveFloat

from forgetlab.spec.base import SpecModel
from forgetlab.strategies.base import Strategy, TaskContext, strategies


class SeqStarSpec(SpecModel):
    kind: Literal["seq_star"] = "seq_star"
    head: Literal["cosine", "linear"] = Field("cosine", description="classifier head")
    warmup: Literal["first_task", "none"] = Field(
        "first_task", description="train the backbone on the first task, or never"
    )
    preallocate: bool = Field(
        False,
        description="class-incremental: future classes' rows train as negatives from the start",
    )
    head_lr: PositiveFloat | None = Field(
        1e-2, description="learning rate once the backbone is frozen (None: train.lr)"
    )


@strategies.register("seq_star", help="SEQ*: frozen backbone after warm-up, frozen old heads")
class SeqStar(Strategy):
    Spec = SeqStarSpec
    requires = {"mode": ("classifier", "it freezes class heads")}

    def _backbone_frozen(self, ctx: TaskContext) -> bool:
        return ctx.stage > 0 or self.spec.warmup == "none"

    def begin_task(self, ctx: TaskContext) -> None:
        learner = ctx.learner
        if self._backbone_frozen(ctx):
            for p in learner.backbone.parameters():
                p.requires_grad_(False)
        for t in range(ctx.stage):  # old classes' rows: frozen from now on
            for p in learner.heads.blocks[t].parameters():
                p.requires_grad_(False)
        self.frozen_tasks_ = list(range(ctx.stage))
        if self.spec.preallocate:  # future classes' rows are trainable negatives now
            for t in range(ctx.stage + 1, len(ctx.stream.tasks)):
                for p in learner.heads.blocks[t].parameters():
                    p.requires_grad_(True)

    def train_mask(self, ctx: TaskContext, mask: torch.Tensor) -> torch.Tensor:
        if self.spec.preallocate and ctx.stream.scenario == "class_incremental":
            return torch.ones_like(mask)  # every class of the stream competes
        return mask

    def learning_rate(self, ctx: TaskContext, lr: float) -> float:
        if self._backbone_frozen(ctx) and self.spec.head_lr is not None:
            return self.spec.head_lr
        return lr

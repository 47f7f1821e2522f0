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

    def trainable(self, ctx: TaskContext, params: dict) -> dict:
        """The backbone after warm-up and the heads of old tasks drop out; with
        `preallocate`, the heads of tasks still to come train (as negatives) from now on."""
        learner = ctx.learner
        heads = learner.heads.blocks
        drop = {id(p) for t in range(ctx.stage) for p in heads[t].parameters()}
        if self._backbone_frozen(ctx):
            drop |= {id(p) for p in learner.backbone.parameters()}
        future = set()
        if self.spec.preallocate:
            future = {
                id(p) for t in range(ctx.stage + 1, len(heads)) for p in heads[t].parameters()
            }
        keep = {id(p) for p in params.values()} - drop
        return {n: p for n, p in learner.named_parameters() if id(p) in keep or id(p) in future}

    def train_mask(self, ctx: TaskContext, mask: torch.Tensor) -> torch.Tensor:
        if self.spec.preallocate and ctx.stream.scenario == "class_incremental":
            return torch.ones_like(mask)  # every class of the stream competes
        return mask

    def learning_rate(self, ctx: TaskContext, lr: float) -> float:
        if self._backbone_frozen(ctx) and self.spec.head_lr is not None:
            return self.spec.head_lr
        return lr

"""`lwf`: learning without forgetting (Li & Hoiem 2017). Distil the model as it was before
the current task into the model being trained, on the current task's inputs.

Classifiers: KL between old and new softmax (temperature T) over the classes of earlier
tasks (one softmax over all of them in class-incremental streams, one per old task's head in
task-incremental ones). Text-to-text: KL between old and new next-token distributions at
the label positions.
"""

from __future__ import annotations

import copy
from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import Field, NonNegativeFloat, PositiveFloat

from forgetlab.spec.base import SpecModel
from forgetlab.strategies.base import Strategy, TaskContext, strategies


class LwFSpec(SpecModel):
    kind: Literal["lwf"] = "lwf"
    alpha: NonNegativeFloat = Field(1.0, description="weight of the distillation loss")
    temperature: PositiveFloat = Field(2.0, description="softmax temperature")


def kl(student: torch.Tensor, teacher: torch.Tensor, t: float) -> torch.Tensor:
    """KL(teacher || student) at temperature t, scaled by t^2 (Hinton et al.)."""
    return (
        F.kl_div(
            F.log_softmax(student / t, -1),
            F.log_softmax(teacher / t, -1),
            log_target=True,
            reduction="batchmean",
        )
        * t
        * t
    )


@strategies.register("lwf", help="LwF: distil the previous model's outputs (temperature)")
class LwF(Strategy):
    Spec = LwFSpec
    transient = ("teacher_",)  # a copy of the model at the start of each stage

    def begin_task(self, ctx: TaskContext) -> None:
        if ctx.stage == 0:
            return
        self.teacher_ = copy.deepcopy(ctx.learner).eval()
        for p in self.teacher_.parameters():
            p.requires_grad_(False)

    def penalty(self, ctx: TaskContext, batch, out) -> torch.Tensor | None:
        teacher = getattr(self, "teacher_", None)
        if teacher is None or ctx.stage == 0:
            return None
        with torch.no_grad():
            if out.features is None:  # text-to-text: token distributions at label positions
                keep = batch.target_ids[:, 1:] != -100
                old = teacher.logits(batch.input_ids, batch.mask_for_backbone)[:, :-1][keep]
                return self.spec.alpha * kl(
                    out.token_logits[:, :-1][keep], old, self.spec.temperature
                )
            old_feats = teacher.features(batch)
        old_tasks = list(range(ctx.stage))
        groups = (
            [old_tasks] if ctx.stream.scenario == "class_incremental" else [[t] for t in old_tasks]
        )
        loss = out.loss.new_zeros(())
        for group in groups:
            cols = [c for t in group for c in ctx.stream.tasks[t].classes]
            new = ctx.learner.heads(out.features, group)[:, cols]
            old = teacher.heads(old_feats, group)[:, cols]
            loss = loss + kl(new, old, self.spec.temperature)
        return self.spec.alpha * loss / len(groups)

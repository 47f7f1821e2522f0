"""`olora`: O-LoRA, orthogonal subspace LoRA (Wang et al., EMNLP Findings 2023).

Each task gets its own LoRA adapter; adapters of earlier tasks stay active (their updates
add up) but frozen. The loss adds `lambda_orth * sum_i ||A_i A_t^T||^2` over layers and
earlier tasks i, pushing the new task's update into a subspace orthogonal to the old ones,
and `lambda_l2 * ||A_t||^2 + ||B_t||^2` on the new adapter. Use it with method `full`
(O-LoRA brings its own adapters; the base model is frozen by peft).
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field, NonNegativeFloat, PositiveInt

from forgetlab.methods.peft_common import add_task_adapter
from forgetlab.spec.base import SpecModel
from forgetlab.strategies.base import Strategy, TaskContext, strategies


class OLoRASpec(SpecModel):
    kind: Literal["olora"] = "olora"
    r: PositiveInt = Field(8, description="LoRA rank of each task's adapter")
    alpha: float = Field(16.0, gt=0, description="LoRA scaling")
    target_modules: list[str] | None = Field(None, description="default: peft's choice")
    lambda_orth: NonNegativeFloat = Field(0.5, description="weight of the orthogonality loss")
    lambda_l2: NonNegativeFloat = Field(0.0, description="L2 on the new adapter's weights")


def lora_layers(backbone) -> list:
    return [m for m in backbone.modules() if hasattr(m, "lora_A") and len(m.lora_A) > 0]


@strategies.register("olora", help="O-LoRA: one LoRA per task, orthogonal to the old ones")
class OLoRA(Strategy):
    Spec = OLoRASpec
    requires = {"method": ("full", "adds its own LoRA per task")}

    def _add(self, learner, name: str) -> None:
        add_task_adapter(learner, name, self.spec.r, self.spec.alpha, self.spec.target_modules)

    def begin_task(self, ctx: TaskContext) -> None:
        learner, name = ctx.learner, f"task{ctx.stage}"
        self._add(learner, name)
        self.adapters_ = [*getattr(self, "adapters_", []), name]
        learner.backbone.base_model.set_adapter(self.adapters_)  # all active, summed

    def trainable(self, ctx: TaskContext, params: dict) -> dict:
        """The new task's adapter and the learner's other candidates (heads) outside the
        backbone: the base model and earlier tasks' adapters stay frozen."""
        learner, new = ctx.learner, self.adapters_[-1]
        backbone = {id(p) for p in learner.backbone.parameters()}
        keep = {id(p) for p in params.values() if id(p) not in backbone}
        keep |= {id(p) for n, p in learner.backbone.named_parameters() if f".{new}." in n}
        return {n: p for n, p in learner.named_parameters() if id(p) in keep}

    def rebuild(self, learner) -> None:
        for name in getattr(self, "adapters_", []):
            self._add(learner, name)

    def penalty(self, ctx: TaskContext, batch, out) -> torch.Tensor | None:
        new = self.adapters_[-1]
        total = out.loss.new_zeros(())
        for layer in lora_layers(ctx.learner.backbone):
            a_new = layer.lora_A[new].weight  # (r, d_in)
            for old in self.adapters_[:-1]:
                total = (
                    total
                    + self.spec.lambda_orth * (layer.lora_A[old].weight @ a_new.T).pow(2).sum()
                )
            if self.spec.lambda_l2 > 0:
                l2 = a_new.pow(2).sum() + layer.lora_B[new].weight.pow(2).sum()
                total = total + self.spec.lambda_l2 * l2
        return total

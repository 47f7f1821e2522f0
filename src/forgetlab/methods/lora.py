"""`lora`: low-rank adapters through peft (DoRA and rsLoRA as options).

[method]
kind = "lora"
r = 8
alpha = 16
target_modules = ["query", "value"]   # default: peft's per-architecture choice
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeFloat, PositiveInt

from forgetlab.methods.base import Method, methods
from forgetlab.methods.peft_common import (
    check_targets,
    default_targets,
    task_type,
    wrap,
)
from forgetlab.spec.base import SpecModel


class LoRASpec(SpecModel):
    kind: Literal["lora"] = "lora"
    r: PositiveInt = Field(8, description="rank of the update")
    alpha: float = Field(16.0, gt=0, description="scaling: update * alpha / r (or / sqrt(r))")
    dropout: NonNegativeFloat = Field(0.0, lt=1, description="dropout on the LoRA input")
    target_modules: list[str] | None = Field(
        None, description="module names to adapt (default: peft's choice for the architecture)"
    )
    use_dora: bool = Field(False, description="weight-decomposed LoRA (DoRA)")
    use_rslora: bool = Field(False, description="rank-stabilised scaling alpha / sqrt(r)")

    def peft_config(self, mode: str):
        from peft import LoraConfig

        return LoraConfig(
            task_type=task_type(mode),
            r=self.r,
            lora_alpha=self.alpha,
            lora_dropout=self.dropout,
            target_modules=self.target_modules,
            use_dora=self.use_dora,
            use_rslora=self.use_rslora,
        )


@methods.register("lora", help="LoRA through peft (rank, alpha, targets; DoRA/rsLoRA options)")
class LoRA(Method):
    Spec = LoRASpec
    uses_peft = True

    def check(self, backbone, mode: str) -> None:
        check_targets(backbone, self.spec.target_modules, "lora", "LoRA")

    def apply(self, learner) -> None:
        spec = self.spec
        if spec.target_modules is None:  # peft's defaults, named (peft 0.21 misses Mixtral's)
            spec = spec.model_copy(
                update={"target_modules": default_targets(learner.backbone, "lora")}
            )
        learner.backbone = wrap(learner.backbone, spec.peft_config(learner.mode))

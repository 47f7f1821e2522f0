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

from forgetlab.methods.base import Method, MethodError, methods
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
    quantize: Literal["4bit", "8bit"] | None = Field(
        None,
        description="QLoRA: load the base model quantized (bitsandbytes; CUDA only); LoRA "
        "trains in higher precision on top",
    )

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

    def check_environment(self) -> None:
        if self.spec.quantize is None:
            return
        import importlib.util

        import torch

        if not torch.cuda.is_available():
            raise MethodError(
                f"method.quantize = {self.spec.quantize!r}: QLoRA needs a CUDA GPU "
                "(bitsandbytes); this machine has none"
            )
        if importlib.util.find_spec("bitsandbytes") is None:
            raise MethodError(
                "method.quantize: the 'bitsandbytes' package is not installed; "
                "pip install 'forgetlab[qlora]'"
            )

    def load_kwargs(self) -> dict:
        if self.spec.quantize is None:
            return {}
        import torch
        from transformers import BitsAndBytesConfig

        self.check_environment()
        if self.spec.quantize == "8bit":
            config = BitsAndBytesConfig(load_in_8bit=True)
        else:
            config = BitsAndBytesConfig(
                load_in_4bit=True,
                bnb_4bit_quant_type="nf4",
                bnb_4bit_use_double_quant=True,
                bnb_4bit_compute_dtype=torch.bfloat16,
            )
        return {"quantization_config": config, "device_map": {"": torch.cuda.current_device()}}

    def apply(self, learner) -> None:
        if self.spec.quantize is not None:
            from peft import prepare_model_for_kbit_training

            learner.backbone = prepare_model_for_kbit_training(learner.backbone)
        spec = self.spec
        if spec.target_modules is None:  # peft's defaults, named (peft 0.21 misses Mixtral's)
            spec = spec.model_copy(
                update={"target_modules": default_targets(learner.backbone, "lora")}
            )
        learner.backbone = wrap(learner.backbone, spec.peft_config(learner.mode))

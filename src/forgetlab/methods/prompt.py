"""`prompt` (prompt tuning) and `prefix` (prefix tuning) through peft.

Prompt tuning learns `num_virtual_tokens` input embeddings put before every example;
prefix tuning learns key/value prefixes for every layer. The backbone stays frozen.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt

from forgetlab.methods.base import Method, MethodError, methods
from forgetlab.methods.peft_common import task_type, wrap
from forgetlab.specbase import SpecModel


def _needs_transformer(backbone, kind: str) -> None:
    if not hasattr(backbone, "get_input_embeddings") or not hasattr(backbone, "config"):
        raise MethodError(
            f"method {kind!r} needs a transformers model with input embeddings; "
            f"{type(backbone).__name__} has none"
        )


class PromptSpec(SpecModel):
    kind: Literal["prompt"] = "prompt"
    num_virtual_tokens: PositiveInt = Field(20, description="learned tokens before the input")


class PrefixSpec(SpecModel):
    kind: Literal["prefix"] = "prefix"
    num_virtual_tokens: PositiveInt = Field(20, description="learned key/value prefix length")


@methods.register("prompt", help="prompt tuning through peft (learned virtual input tokens)")
class PromptTuning(Method):
    Spec = PromptSpec
    uses_peft = True

    def check(self, backbone, mode: str) -> None:
        _needs_transformer(backbone, "prompt")

    def apply(self, learner) -> None:
        from peft import PromptTuningConfig

        cfg = PromptTuningConfig(
            task_type=task_type(learner.mode), num_virtual_tokens=self.spec.num_virtual_tokens
        )
        learner.backbone = wrap(learner.backbone, cfg)


@methods.register("prefix", help="prefix tuning through peft (learned key/value prefixes)")
class PrefixTuning(Method):
    Spec = PrefixSpec
    uses_peft = True

    def check(self, backbone, mode: str) -> None:
        _needs_transformer(backbone, "prefix")

    def apply(self, learner) -> None:
        from peft import PrefixTuningConfig

        cfg = PrefixTuningConfig(
            task_type=task_type(learner.mode), num_virtual_tokens=self.spec.num_virtual_tokens
        )
        learner.backbone = wrap(learner.backbone, cfg)

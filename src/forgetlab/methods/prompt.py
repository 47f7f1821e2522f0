"""`prompt` (prompt tuning) and `prefix` (prefix tuning) through peft.

Prompt tuning learns `num_virtual_tokens` input embeddings put before every example;
prefix tuning learns key/value prefixes for every layer. The backbone stays frozen.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt

from forgetlab.methods.base import Method, MethodError, methods
from forgetlab.methods.peft_common import task_type, wrap
from forgetlab.spec.base import SpecModel


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


class VirtualTokens(Method):
    """Prompt-learning methods: a peft config with `num_virtual_tokens`, backbone frozen."""

    uses_peft = True
    config_name = ""  # the peft config class

    def check(self, backbone, mode: str) -> None:
        _needs_transformer(backbone, self.spec.kind)

    def apply(self, learner) -> None:
        import peft

        cfg = getattr(peft, self.config_name)(
            task_type=task_type(learner.mode), num_virtual_tokens=self.spec.num_virtual_tokens
        )
        learner.backbone = wrap(learner.backbone, cfg)


@methods.register("prompt", help="prompt tuning through peft (learned virtual input tokens)")
class PromptTuning(VirtualTokens):
    Spec = PromptSpec
    config_name = "PromptTuningConfig"


@methods.register("prefix", help="prefix tuning through peft (learned key/value prefixes)")
class PrefixTuning(VirtualTokens):
    Spec = PrefixSpec
    config_name = "PrefixTuningConfig"

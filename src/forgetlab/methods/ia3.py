"""`ia3`: learned rescaling of keys, values and feed-forward activations through peft."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from forgetlab.methods.base import Method, methods
from forgetlab.methods.peft_common import (
    check_targets,
    task_type,
    wrap,
)
from forgetlab.spec.base import SpecModel


class IA3Spec(SpecModel):
    kind: Literal["ia3"] = "ia3"
    target_modules: list[str] | None = Field(None, description="default: peft's choice")
    feedforward_modules: list[str] | None = Field(None, description="default: peft's choice")


@methods.register("ia3", help="IA3 through peft: learned scaling vectors")
class IA3(Method):
    Spec = IA3Spec
    uses_peft = True

    def check(self, backbone, mode: str) -> None:
        check_targets(backbone, self.spec.target_modules, "ia3", "IA3")

    def apply(self, learner) -> None:
        from peft import IA3Config

        cfg = IA3Config(
            task_type=task_type(learner.mode),
            target_modules=self.spec.target_modules,
            feedforward_modules=self.spec.feedforward_modules,
        )
        learner.backbone = wrap(learner.backbone, cfg)

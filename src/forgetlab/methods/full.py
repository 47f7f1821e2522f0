"""`full`: every weight trains (the default)."""

from __future__ import annotations

from typing import Literal

from forgetlab.methods.base import Method, methods
from forgetlab.spec.base import SpecModel


class FullSpec(SpecModel):
    kind: Literal["full"] = "full"


@methods.register("full", help="full fine-tuning: all weights train")
class Full(Method):
    Spec = FullSpec

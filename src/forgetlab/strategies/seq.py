"""`seq`: plain sequential fine-tuning, the lower bound every strategy is compared with."""

from __future__ import annotations

from typing import Literal

from forgetlab.spec.base import SpecModel
from forgetlab.strategies.base import Strategy, strategies


class SeqSpec(SpecModel):
    kind: Literal["seq"] = "seq"


@strategies.register("seq", help="sequential fine-tuning, task after task (lower bound)")
class Seq(Strategy):
    Spec = SeqSpec

"""`long_tail`: subsample each task's classes to Zipf frequencies; accuracy per bucket.

    [[transform]]
    kind = "long_tail"
    s = 1.0            # class at rank r (1 = most frequent) keeps n_head * r^-s examples

With 3 balanced classes of 60 and s = 1: 60, 30, 20 training examples. Test examples are
tagged head | torso | tail by their class's rank (see `frequency_bucket`: rank position
q = r0 / (n - 1) with r0 the 0-based rank; head q < 1/4, tail q >= 3/4, torso between).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from forgetlab.streams.transforms.base import transforms
from forgetlab.streams.transforms.frequency import ClassFrequencyTransform, FrequencySpec


class LongTailSpec(FrequencySpec):
    kind: Literal["long_tail"] = "long_tail"
    s: float = Field(1.0, gt=0, allow_inf_nan=False, description="Zipf exponent")


@transforms.register("long_tail", help="subsample classes to Zipf frequencies (head/torso/tail)")
class LongTail(ClassFrequencyTransform):
    Spec = LongTailSpec

    def params(self) -> list[str]:
        return [f"s={self.spec.s:g}"]

    def weight(self, rank: int, n: int) -> float:
        return (rank + 1) ** -self.spec.s

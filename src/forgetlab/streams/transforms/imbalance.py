"""`imbalance`: class imbalance with a given ratio between the largest and smallest class.

    [[transform]]
    kind = "imbalance"
    ratio = 10.0       # most frequent class / least frequent class, per task

Counts fall geometrically with the rank (as in long-tailed CIFAR): the class at 0-based rank
r of n keeps n_head * ratio^(-r / (n - 1)). With 3 classes of 60 and ratio 4: 60, 30, 15.
Test examples are tagged head | torso | tail by rank, as with `long_tail`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from forgetlab.streams.transforms.base import transforms
from forgetlab.streams.transforms.frequency import ClassFrequencyTransform, FrequencySpec


class ImbalanceSpec(FrequencySpec):
    kind: Literal["imbalance"] = "imbalance"
    ratio: float = Field(
        10.0, ge=1, allow_inf_nan=False, description="largest / smallest class count per task"
    )


@transforms.register("imbalance", help="class imbalance: largest/smallest class count = ratio")
class Imbalance(ClassFrequencyTransform):
    Spec = ImbalanceSpec

    def params(self) -> list[str]:
        return [f"{self.spec.ratio:g}"]

    def weight(self, rank: int, n: int) -> float:
        return 1.0 if n <= 1 else self.spec.ratio ** (-rank / (n - 1))

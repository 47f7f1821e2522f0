"""`few_shot`: keep k training examples per class (chosen by seed; classes with fewer keep all).

[[transform]]
kind = "few_shot"
k = 8
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from forgetlab.streams.task import Example, Task
from forgetlab.streams.transforms.base import (
    TaskTransformSpec,
    TrainTransform,
    by_class,
    keep_per_class,
    transforms,
)


class FewShotSpec(TaskTransformSpec):
    kind: Literal["few_shot"] = "few_shot"
    k: int = Field(8, ge=1, description="training examples kept per class")


@transforms.register("few_shot", help="keep k training examples per class")
class FewShot(TrainTransform):
    Spec = FewShotSpec

    def params(self) -> list[str]:
        return [str(self.spec.k)]

    def train(self, task: Task, rng: random.Random, uids: Iterator[int]) -> tuple[Example, ...]:
        counts = {label: self.spec.k for label in by_class(task.train)}
        return keep_per_class(task.train, counts, rng)

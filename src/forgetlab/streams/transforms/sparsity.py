"""`sparsity`: keep a fraction of each (selected) task's training data, per class.

[[transform]]
kind = "sparsity"
keep = 0.1        # each class keeps max(1, round(0.1 * its count)) examples
tasks = [1]       # only task 1 is sparse (default: every task)
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
    round_half_up,
    transforms,
)


class SparsitySpec(TaskTransformSpec):
    kind: Literal["sparsity"] = "sparsity"
    keep: float = Field(0.5, gt=0, le=1, description="fraction of each class's training data kept")


@transforms.register("sparsity", help="keep a fraction of each task's training data")
class Sparsity(TrainTransform):
    Spec = SparsitySpec

    def params(self) -> list[str]:
        return [f"{self.spec.keep:g}"]

    def train(self, task: Task, rng: random.Random, uids: Iterator[int]) -> tuple[Example, ...]:
        counts = {
            label: max(1, round_half_up(self.spec.keep * len(idx)))
            for label, idx in by_class(task.train).items()
        }
        return keep_per_class(task.train, counts, rng)

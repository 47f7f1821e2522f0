"""`duplicate`: repeat training examples (exact duplicates), all of them or a chosen share.

    [[transform]]
    kind = "duplicate"
    factor = 3        # each chosen example appears 3 times in total
    fraction = 0.5    # choose half of each task's training examples (by seed); 1 = all

A task with n training examples ends with n + round(fraction * n) * (factor - 1). Copies
follow their original (the trainer shuffles unless `train.online`) and get new uids.
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
    copy_example,
    round_half_up,
    transforms,
)


class DuplicateSpec(TaskTransformSpec):
    kind: Literal["duplicate"] = "duplicate"
    factor: int = Field(2, ge=1, description="times each chosen example appears in total")
    fraction: float = Field(
        1.0, gt=0, le=1, description="share of each task's training examples duplicated"
    )


@transforms.register("duplicate", help="repeat each (or a fraction of) training example n times")
class Duplicate(TrainTransform):
    Spec = DuplicateSpec

    def params(self) -> list[str]:
        extra = [] if self.spec.fraction == 1 else [f"fraction={self.spec.fraction:g}"]
        return [str(self.spec.factor), *extra]

    def train(self, task: Task, rng: random.Random, uids: Iterator[int]) -> tuple[Example, ...]:
        n = len(task.train)
        k = n if self.spec.fraction == 1 else round_half_up(self.spec.fraction * n)
        chosen = set(range(n)) if k == n else set(rng.sample(range(n), k))
        out: list[Example] = []
        for i, ex in enumerate(task.train):
            out.append(ex)
            if i in chosen:
                out += [copy_example(ex, next(uids)) for _ in range(self.spec.factor - 1)]
        return tuple(out)

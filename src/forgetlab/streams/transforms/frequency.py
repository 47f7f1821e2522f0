"""Shared by `long_tail` and `imbalance`: give each task's classes unequal training counts by
frequency rank, and tag the test examples with their class's bucket (head, torso, tail).

Within each selected task the classes get a random rank (by seed; rank 0 = most frequent).
The class at rank r keeps max(min_per_class, round(n_head * weight(r))) training examples
(or all it has, if fewer), where n_head is the task's largest class count. Test examples
keep every class but their `group` becomes the class's bucket (`frequency_bucket`), so the
evaluation reports accuracy per bucket.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace

from pydantic import Field

from forgetlab.streams.task import Task
from forgetlab.streams.transforms.base import (
    TaskTransformSpec,
    TrainTransform,
    by_class,
    frequency_bucket,
    keep_per_class,
    round_half_up,
)


class FrequencySpec(TaskTransformSpec):
    min_per_class: int = Field(1, ge=1, description="no class keeps fewer training examples")


class ClassFrequencyTransform(TrainTransform):
    """Subclasses give `weight(rank, n_classes)` in (0, 1], 1 for rank 0."""

    def weight(self, rank: int, n: int) -> float:
        raise NotImplementedError

    def change(self, task: Task, rng: random.Random, uids: Iterator[int]) -> Task:
        order = list(task.classes)
        rng.shuffle(order)
        rank = {c: r for r, c in enumerate(order)}
        n = len(order)
        idx = by_class(task.train)
        n_head = max(len(v) for v in idx.values())
        counts = {
            c: max(self.spec.min_per_class, round_half_up(n_head * self.weight(rank[c], n)))
            for c in idx
        }
        test = tuple(replace(ex, group=frequency_bucket(rank[ex.label], n)) for ex in task.test)
        return replace(task, train=keep_per_class(task.train, counts, rng), test=test)

"""`order`: permute the tasks, by seed or explicitly; class ids are renumbered.

    [[transform]]
    kind = "order"
    order = [2, 0, 1]     # or task names; without it, a random permutation by `seed`

Streams number classes globally with task 0's classes first (classifier heads are one
block per task, in order), so the permuted stream renumbers every class: the new task 0's
classes become 0..k-1 and so on, and every example's label and task index follow. Example
uids stay the same, so the same example can be followed across orders.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Literal

from pydantic import Field, field_validator

from forgetlab.streams.task import Stream
from forgetlab.streams.transforms.base import Transform, TransformSpecBase, resolve_task, transforms


class OrderSpec(TransformSpecBase):
    kind: Literal["order"] = "order"
    order: list[int | str] | None = Field(
        None, description="the new order as task indices or names (default: random by seed)"
    )

    @field_validator("order")
    @classmethod
    def _no_repeats(cls, v: list[int | str] | None) -> list[int | str] | None:
        if v is not None and len(set(v)) != len(v):
            raise ValueError(f"{v} names a task twice; give a permutation")
        return v


def permute(stream: Stream, perm: list[int]) -> Stream:
    """Tasks in the order `perm` (new position i holds old task perm[i]), classes renumbered."""
    new_id: dict[int, int] = {}
    for old_task in perm:
        for c in stream.tasks[old_task].classes:
            new_id[c] = len(new_id)
    class_names = [""] * len(new_id)
    for old, new in new_id.items():
        class_names[new] = stream.class_names[old]
    tasks = []
    for i, old_task in enumerate(perm):
        t = stream.tasks[old_task]

        def move(examples, i=i):
            return tuple(replace(ex, label=new_id[ex.label], task=i) for ex in examples)

        classes = tuple(new_id[c] for c in t.classes)
        tasks.append(replace(t, classes=classes, train=move(t.train), test=move(t.test)))
    return replace(stream, class_names=tuple(class_names), tasks=tuple(tasks))


@transforms.register("order", help="permute the task order (by seed or explicit)")
class Order(Transform):
    Spec = OrderSpec

    def permutation(self, stream: Stream, rng: random.Random) -> list[int]:
        n = len(stream.tasks)
        if self.spec.order is None:
            return rng.sample(range(n), n)
        if len(self.spec.order) != n:
            raise self.error(
                "order", f"{self.spec.order} has {len(self.spec.order)} tasks; the stream has {n}"
            )
        perm = [resolve_task(stream, t, self.error, "order") for t in self.spec.order]
        if len(set(perm)) != n:
            raise self.error("order", f"{self.spec.order} names a task twice; give a permutation")
        return perm

    def transform(self, stream: Stream, rng: random.Random) -> Stream:
        self.perm_ = self.permutation(stream, rng)
        return permute(stream, self.perm_)

    def label(self) -> str:
        perm = getattr(self, "perm_", None)
        return "order" if perm is None else f"order({','.join(map(str, perm))})"

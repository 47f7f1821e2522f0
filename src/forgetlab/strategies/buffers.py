"""Replay memories: which examples to keep when only `capacity` fit.

- reservoir: every example seen so far has the same chance to be in memory (Vitter's
  algorithm R), whatever the task sizes;
- class_balanced: an equal share per class seen so far, chosen at random within a class.

Items are whatever the strategy stores (encoded examples, or (example, logits) pairs); the
label of an item is read with `label_of`.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T")


def item_label(item) -> int:
    """The label of a stored item: an example, or an (example, extra) pair."""
    return item.label if hasattr(item, "label") else item[0].label


class ReplayMemory(Generic[T]):
    def __init__(
        self, capacity: int, policy: str, label_of: Callable[[T], int] = item_label
    ) -> None:
        self.capacity = capacity
        self.policy = policy
        self.label_of = label_of
        self.items: list[T] = []
        self.seen = 0  # examples offered so far (reservoir)

    def add(self, items: Iterable[T], rng: random.Random) -> None:
        if self.policy == "reservoir":
            for item in items:
                self.seen += 1
                if len(self.items) < self.capacity:
                    self.items.append(item)
                else:
                    j = rng.randrange(self.seen)
                    if j < self.capacity:
                        self.items[j] = item
            return
        by_class: dict[int, list[T]] = defaultdict(list)
        for item in [*self.items, *items]:
            by_class[self.label_of(item)].append(item)
        classes = sorted(by_class)
        share, extra = divmod(self.capacity, max(len(classes), 1))
        kept: list[T] = []
        for i, c in enumerate(classes):
            pool = by_class[c]
            k = min(len(pool), share + (1 if i < extra else 0))
            kept += pool if k == len(pool) else rng.sample(pool, k)
        self.items = kept

    def sample(self, k: int, rng: random.Random) -> list[T]:
        if not self.items or k <= 0:
            return []
        return rng.sample(self.items, min(k, len(self.items)))

    def __len__(self) -> int:
        return len(self.items)

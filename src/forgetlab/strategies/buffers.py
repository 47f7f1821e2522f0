"""Replay memories: which examples to keep when only `capacity` fit, and which to replay.

- reservoir: every example seen so far has the same chance to be in memory (Vitter's
  algorithm R), whatever the task sizes. When the capacity grows (ER's `memory_fraction`),
  the memory is redrawn so that this still holds: old items are kept with the chance the new
  capacity gives them, and the new items fill the rest;
- class_balanced: an equal share per class seen so far, chosen at random within a class.

Replay draws come in two kinds: `sample` (k items at random) and `sample_similar` (k items
of similar length, for batches with little padding, each item still drawn with the same
chance). Items are whatever the strategy stores (encoded examples, or (example, logits)
pairs); `label_of` and `length_of` read an item's label and token count.
"""

from __future__ import annotations

import bisect
import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T")


def item_label(item) -> int:
    """The label of a stored item: an example, or an (example, extra) pair."""
    return item.label if hasattr(item, "label") else item[0].label


def item_length(item) -> int:
    """The token count of a stored item: an encoded example, or an (example, extra) pair."""
    return len(item.ids) if hasattr(item, "ids") else len(item[0].ids)


class ReplayMemory(Generic[T]):
    def __init__(
        self,
        capacity: int,
        policy: str,
        label_of: Callable[[T], int] = item_label,
        length_of: Callable[[T], int] = item_length,
    ) -> None:
        self.capacity = capacity
        self.policy = policy
        self.label_of = label_of
        self.length_of = length_of
        self.items: list[T] = []
        self.seen = 0  # examples offered so far (reservoir)

    def add(self, items: Iterable[T], rng: random.Random) -> None:
        if self.policy == "reservoir":
            if self.seen > len(self.items) < self.capacity:  # grew after dropping items
                self._regrow(list(items), rng)
                return
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

    def _regrow(self, items: list[T], rng: random.Random) -> None:
        """Reservoir after the capacity grew: every one of the seen + len(items) examples is in
        memory with chance capacity / (seen + len(items)). The memory holds a uniform sample of
        the old ones, so keeping a uniform share of it and drawing the rest from `items` does
        it (appending the new items until full, as algorithm R would, over-represents them)."""
        total = self.seen + len(items)
        keep = min(len(self.items), round(self.capacity * self.seen / total))
        if keep < len(self.items):
            self.items = rng.sample(self.items, keep)
        self.items += rng.sample(items, min(len(items), self.capacity - keep))
        self.seen = total

    def sample(self, k: int, rng: random.Random) -> list[T]:
        if not self.items or k <= 0:
            return []
        return rng.sample(self.items, min(k, len(self.items)))

    def sample_similar(self, k: int, rng: random.Random, at: float | None = None) -> list[T]:
        """k distinct items of similar length: the memory sorted by length is cut into
        buckets of k to 2k - 1 items; the bucket holding quantile `at` of the lengths (drawn
        at random when None) gives k items at random. With `at` uniform on [0, 1), a bucket is
        picked with chance size / len(memory), so every item has chance k / len(memory), as in
        `sample`."""
        if not self.items or k <= 0:
            return []
        if k >= len(self.items):
            return rng.sample(self.items, len(self.items))
        ordered = sorted(self.items, key=self.length_of)
        n, buckets = len(ordered), len(ordered) // k
        bounds = [b * n // buckets for b in range(buckets + 1)]
        at = rng.random() if at is None else min(max(at, 0.0), 1.0 - 1e-12)
        b = bisect.bisect_right(bounds, int(at * n)) - 1
        return rng.sample(ordered[bounds[b] : bounds[b + 1]], k)

    def __len__(self) -> int:
        return len(self.items)

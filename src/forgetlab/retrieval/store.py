"""What a memory keeps: items chosen by a selection policy, with one embedding row each.

    memory = new_memory("class_balanced")
    offer(memory, items, capacity=200, rng=ctx.rng)                 # ReplayMemory semantics
    offer(memory, examples, capacity=None, rng=rng, key=lambda e: e.text)   # all; newest per key
    rows = aligned_rows(old_items, old_rows, memory.items, embed_new)       # frozen embeddings

`all` keeps every item offered (a reservoir as large as everything seen). With `key`, an
offered item whose key is already stored replaces that item in place (a fact's newest version
supersedes the old one) instead of being offered as a new item; among the offered items the
last one of each key counts. The memory is a `ReplayMemory`, which the resume codec stores.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:  # strategies import this module: import their buffers when called
    from forgetlab.strategies.buffers import ReplayMemory

SELECTIONS = ("all", "reservoir", "class_balanced")
DEFAULT_SIZE = 200  # examples, when a spec gives neither memory_size nor memory_fraction


def capacity(spec, stream, stage: int) -> int | None:
    """How many examples a memory spec keeps after `stage` (None: all): `memory_size`, or
    `memory_fraction` of every training example so far, or DEFAULT_SIZE."""
    if getattr(spec, "selection", None) == "all":
        return None
    if spec.memory_fraction is not None:
        seen = sum(len(t.train) for t in stream.tasks[: stage + 1])
        return max(1, round(spec.memory_fraction * seen))
    return spec.memory_size if spec.memory_size is not None else DEFAULT_SIZE


def check_size(spec) -> None:
    """ValueError for a spec that sizes its memory twice (memory_size, memory_fraction, all).
    Checked on values, not on which fields were given: a resolved spec.toml loads back."""
    given = [f for f in ("memory_size", "memory_fraction") if getattr(spec, f) is not None]
    if len(given) == 2:
        raise ValueError("set memory_size or memory_fraction, not both")
    if given and getattr(spec, "selection", None) == "all":
        raise ValueError(f"selection 'all' keeps every example; drop {given[0]}")


def new_memory(selection: str) -> ReplayMemory:
    from forgetlab.strategies.buffers import ReplayMemory

    if selection not in SELECTIONS:
        raise ValueError(f"unknown selection {selection!r}; use one of {SELECTIONS}")
    return ReplayMemory(0, "reservoir" if selection == "all" else selection)


def offer(
    memory: ReplayMemory,
    items: Sequence,
    capacity: int | None,
    rng: random.Random,
    key: Callable | None = None,
) -> None:
    """Add `items` to `memory` keeping at most `capacity` (None: all of them)."""
    fresh = list(items)
    if key is not None:
        latest = {key(it): it for it in fresh}  # first-seen order, last version of each key
        where = {key(it): i for i, it in enumerate(memory.items)}
        fresh = []
        for k, it in latest.items():
            if k in where:
                memory.items[where[k]] = it  # the newest version, in the old one's place
            else:
                fresh.append(it)
    memory.capacity = memory.seen + len(fresh) if capacity is None else capacity
    memory.add(fresh, rng)


def aligned_rows(
    old_items: Sequence,
    old_rows: torch.Tensor | None,
    items: Sequence,
    embed_new: Callable[[list], torch.Tensor],
) -> torch.Tensor:
    """One row per item of `items`: the old row of an item still stored (same uid and the
    same item), else a row from `embed_new` (called once, on the new items in order)."""
    old = {}
    if old_rows is not None:
        old = {it.uid: (it, row) for it, row in zip(old_items, old_rows)}
    new = [it for it in items if it.uid not in old or old[it.uid][0] != it]
    computed = iter(embed_new(new)) if new else iter(())
    rows = [
        old[it.uid][1] if it.uid in old and old[it.uid][0] == it else next(computed) for it in items
    ]
    if not rows:
        width = 0 if old_rows is None else old_rows.shape[1]
        return torch.empty(0, width)
    return torch.stack(rows)


def offer_embedded(
    memory: ReplayMemory,
    rows: torch.Tensor | None,
    items: Sequence,
    capacity: int | None,
    rng: random.Random,
    embed_new: Callable[[list], torch.Tensor],
    key: Callable | None = None,
) -> torch.Tensor:
    """`offer` the items, then the embedding rows of the memory's new contents: the rows of
    items it kept, and `embed_new` of the ones it took in (kNN and RAG memories)."""
    old_items = list(memory.items)
    offer(memory, items, capacity, rng, key)
    return aligned_rows(old_items, rows, memory.items, embed_new)

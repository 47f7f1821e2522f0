"""Batching with little padding: shuffle, then group examples of similar length.

Padding is wasted compute. Like transformers' `group_by_length`, examples are shuffled,
cut into mega-batches of `MEGA` batches, sorted by length inside each, split into batches,
and the batch order shuffled again: batches stay random but nearly pad-free.
"""

from __future__ import annotations

import random

from forgetlab.models.learner import Encoded

MEGA = 50  # batches per mega-batch; bigger = less padding, less randomness


def make_batches(
    items: list[Encoded],
    rng: random.Random,
    batch_size: int,
    group_by_length: bool = True,
    shuffle: bool = True,
) -> list[list[Encoded]]:
    """Training batches (lists of encoded examples): shuffled and length-grouped, or, with
    `shuffle=False` (online training), consecutive examples in data order."""
    order = list(range(len(items)))
    if not shuffle:
        return [items[s : s + batch_size] for s in range(0, len(items), batch_size)]
    rng.shuffle(order)
    if group_by_length:
        chunk = batch_size * MEGA
        order = [
            i
            for s in range(0, len(order), chunk)
            for i in sorted(order[s : s + chunk], key=lambda k: -len(items[k].ids))
        ]
    batches = [
        [items[i] for i in order[s : s + batch_size]] for s in range(0, len(order), batch_size)
    ]
    if group_by_length:
        rng.shuffle(batches)
    return batches


def eval_batches(items: list[Encoded], batch_size: int) -> list[list[Encoded]]:
    """Evaluation batches sorted by length (order does not matter when scoring)."""
    ordered = sorted(items, key=lambda e: len(e.ids))
    return [ordered[s : s + batch_size] for s in range(0, len(ordered), batch_size)]

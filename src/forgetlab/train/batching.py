"""Batching with little padding: shuffle, then group examples of similar length.

Padding is wasted compute. Like transformers' `group_by_length`, examples are shuffled,
cut into mega-batches of `MEGA` batches, sorted by length inside each, split into batches,
and the batch order shuffled again: batches stay random but nearly pad-free.

Copies of one example (same tokens and label, e.g. from the `duplicate` transform) have the
same length, so sorting would put them side by side in one batch: one step would see the
same example several times. After batching, copies that share a batch are swapped with items
of the nearest other batches (batch sizes unchanged), so no batch holds two copies while
there are at least as many batches as copies.
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
    separate_copies(batches)
    if group_by_length:
        rng.shuffle(batches)
    return batches


def copy_key(e: Encoded) -> tuple:
    """What makes two items copies of one example: the same tokens and label."""
    return (e.ids, e.label)


def separate_copies(batches: list[list[Encoded]]) -> int:
    """Swap copies that share a batch with items of the nearest batches (in list order, so
    of similar length when length-grouped) until no batch holds two copies of one example,
    where possible; in place. Returns the number of swaps (0 when nothing repeats)."""
    keys = [[copy_key(e) for e in b] for b in batches]
    counts = [_counter(k) for k in keys]
    swaps = 0
    for b in range(len(batches)):
        for pos in range(len(batches[b])):
            k = keys[b][pos]
            if counts[b][k] < 2:
                continue
            for other in _nearest(b, len(batches)):
                q = _swappable(keys[other], counts[other], counts[b], k)
                if q is None:
                    continue
                k2 = keys[other][q]
                batches[b][pos], batches[other][q] = batches[other][q], batches[b][pos]
                keys[b][pos], keys[other][q] = k2, k
                for c, gone, came in ((counts[b], k, k2), (counts[other], k2, k)):
                    c[gone] -= 1
                    c[came] = c.get(came, 0) + 1
                swaps += 1
                break
    return swaps


def _counter(keys: list[tuple]) -> dict[tuple, int]:
    out: dict[tuple, int] = {}
    for k in keys:
        out[k] = out.get(k, 0) + 1
    return out


def _nearest(b: int, n: int):
    """Batch indices by distance from b: b+1, b-1, b+2, b-2, ..."""
    for d in range(1, n):
        for o in (b + d, b - d):
            if 0 <= o < n:
                yield o


def _swappable(keys: list[tuple], counts: dict, here: dict, k: tuple) -> int | None:
    """A position in another batch whose item can come here (not yet here) while `k` can go
    there (not there yet)."""
    if counts.get(k, 0) > 0:
        return None
    for q, k2 in enumerate(keys):
        if here.get(k2, 0) == 0 and k2 != k:
            return q
    return None


def eval_batches(items: list[Encoded], batch_size: int) -> list[list[Encoded]]:
    """Evaluation batches sorted by length (order does not matter when scoring)."""
    ordered = sorted(items, key=lambda e: len(e.ids))
    return [ordered[s : s + batch_size] for s in range(0, len(ordered), batch_size)]

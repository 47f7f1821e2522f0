"""Duplicated examples never share a batch, and a transform's `budget` holds the optimizer
steps ("steps") or the split size ("examples") of the untransformed task."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from forgetlab.models.learner import Encoded
from forgetlab.spec import spec_from_dict
from forgetlab.streams import build_experiment_stream
from forgetlab.streams.transforms.base import STEP_BUDGET
from forgetlab.train.batching import copy_key, make_batches
from tests.conftest import tiny_wordnet


def items(n: int, factor: int, seed: int = 0) -> list[Encoded]:
    """n distinct examples of lengths 3..8, each `factor` times (copies follow each other)."""
    rng = random.Random(seed)
    out, uid = [], 0
    for i in range(n):
        ids = (i,) + tuple(rng.randrange(1000) for _ in range(rng.randrange(2, 8)))
        for _ in range(factor):
            out.append(Encoded(ids, i % 4, 0, uid))
            uid += 1
    return out


def in_batch_repeats(batches) -> int:
    """Items whose example already appeared earlier in the same batch."""
    return sum(n - 1 for b in batches for n in Counter(copy_key(e) for e in b).values())


@pytest.mark.parametrize("group_by_length", [True, False])
def test_copies_of_an_example_never_share_a_batch(group_by_length):
    # 60 examples x 4 copies, batch 16: without the swaps, 90-95 of these 240 items repeat an
    # example already in their batch with length grouping (copies sort side by side), 22-25
    # without it (seeds 0-2)
    data = items(60, 4)
    for seed in range(3):
        batches = make_batches(data, random.Random(seed), 16, group_by_length=group_by_length)
        assert in_batch_repeats(batches) == 0
        assert sorted(len(b) for b in batches) == sorted([16] * 15)  # sizes unchanged
        assert sorted(e.uid for b in batches for e in b) == list(range(240))


def test_without_copies_batching_is_unchanged():
    data = items(100, 1)
    a = make_batches(data, random.Random(3), 16)
    # the same draw with copy separation switched off (no copies: it is a no-op)
    from forgetlab.train import batching

    real = batching.separate_copies
    batching.separate_copies = lambda batches: 0
    try:
        b = make_batches(data, random.Random(3), 16)
    finally:
        batching.separate_copies = real
    assert [[e.uid for e in x] for x in a] == [[e.uid for e in x] for x in b]


def test_length_grouping_survives_the_swaps():
    data = items(200, 3)
    batches = make_batches(data, random.Random(0), 16, group_by_length=True)
    spread = [max(len(e.ids) for e in b) - min(len(e.ids) for e in b) for b in batches]
    assert sum(spread) / len(spread) <= 1.0  # lengths 3..8; random batches spread ~5


def _stream(**transform):
    spec = spec_from_dict(
        {**tiny_wordnet(n_tasks=2), "transform": [{"kind": "duplicate", **transform}]}
    )
    return build_experiment_stream(spec)


def test_steps_budget_records_the_size_before_the_transform():
    plain = _stream(factor=1)
    steps = _stream(factor=3, budget="steps")
    assert [len(t.train) for t in steps.tasks] == [3 * len(t.train) for t in plain.tasks]
    assert steps.info[STEP_BUDGET] == {t.name: len(t.train) for t in plain.tasks}
    assert "budget=steps" in steps.name
    assert STEP_BUDGET not in _stream(factor=3).info  # epochs: the default, no budget


def test_examples_budget_keeps_the_size_and_whole_groups_of_copies():
    plain = _stream(factor=1)
    capped = _stream(factor=3, budget="examples")
    for before, after in zip(plain.tasks, capped.tasks):
        assert len(after.train) == len(before.train)  # 120 = 40 unique x 3
        counts = Counter((e.text, e.label) for e in after.train)
        assert set(counts.values()) == {3}
        assert len(counts) == len(before.train) // 3

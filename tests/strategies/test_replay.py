"""Replay memories and batches with known answers: reservoir and class-balanced selection,
`memory_fraction`, `replay_ratio`, memory examples in ER's batches, length-matched replay
(padding), DER++'s memory seeded by the run, LAMOL's pseudo-examples grouped by length."""

from __future__ import annotations

import random
from collections import Counter
from types import SimpleNamespace

import pytest

from forgetlab.models.learner import Encoded
from forgetlab.seeding import derived_rng
from forgetlab.strategies.buffers import ReplayMemory
from forgetlab.strategies.derpp import DERPP, DERPPSpec
from forgetlab.strategies.er import ER, ERSpec
from forgetlab.train.batching import make_batches


def items(n: int, task: int = 0, classes: int = 2, seed: int = 0, uid0: int = 0) -> list[Encoded]:
    """n encoded examples with lengths 4..63 drawn at random (a long-tailed mix); each has
    its own tokens (its uid first), so no two are copies of one example."""
    rng = random.Random(seed)
    return [
        Encoded(
            (uid0 + i, *range(1, rng.randint(4, 63))),
            label=task * classes + i % classes,
            task=task,
            uid=uid0 + i,
        )
        for i in range(n)
    ]


def padded(batches) -> int:
    return sum(len(b) * max(len(e.ids) for e in b) for b in batches)


def real(batches) -> int:
    return sum(len(e.ids) for b in batches for e in b)


def er_ctx(tasks: list[list[Encoded]], stage: int, batch_size: int = 16, seed: int = 0):
    by_uid = {e.uid: e for t in tasks for e in t}
    stream_tasks = [SimpleNamespace(train=tuple(t)) for t in tasks]
    return SimpleNamespace(
        stage=stage,
        stream=SimpleNamespace(tasks=stream_tasks),
        task=stream_tasks[stage],
        train=SimpleNamespace(batch_size=batch_size),
        rng=random.Random(seed),
        encode=lambda examples: [by_uid[e.uid] for e in examples],
    )


def test_reservoir_keeps_every_example_with_the_same_chance():
    stream = items(50)
    counts = Counter()
    for trial in range(2000):
        memory = ReplayMemory(10, "reservoir")
        memory.add(stream[:30], random.Random(trial))  # in two parts: one reservoir
        memory.add(stream[30:], random.Random(trial + 10_000))
        assert len(memory) == 10 and len({e.uid for e in memory.items}) == 10
        counts.update(e.uid for e in memory.items)
    freq = [counts[i] / 2000 for i in range(50)]
    assert min(freq) > 0.2 - 0.04 and max(freq) < 0.2 + 0.04


def test_class_balanced_gives_each_class_an_equal_share():
    memory = ReplayMemory(12, "class_balanced")
    pool = [
        Encoded((1,), label=c, task=0, uid=i) for i, c in enumerate([0] * 50 + [1] * 30 + [2] * 5)
    ]
    memory.add(pool, random.Random(0))
    assert Counter(e.label for e in memory.items) == {0: 4, 1: 4, 2: 4}
    memory.add([Encoded((1,), label=3, task=1, uid=100 + i) for i in range(20)], random.Random(1))
    assert Counter(e.label for e in memory.items) == {0: 3, 1: 3, 2: 3, 3: 3}


@pytest.mark.parametrize(("first", "second"), [(100, 100), (100, 300)])
def test_memory_fraction_keeps_tasks_in_proportion(first, second):
    """memory_fraction = 0.1: after two tasks the memory holds 10% of each (appending new
    examples until the grown memory is full would give the second task most of it)."""
    tasks = [items(first, task=0), items(second, task=1, uid0=10_000, seed=1)]
    er = ER(ERSpec(memory_fraction=0.1))
    for stage in range(2):
        ctx = er_ctx(tasks, stage)
        er.begin_task(ctx)
        er.end_task(ctx)
    per_task = Counter(e.task for e in er.memory_.items)
    assert per_task == {0: first // 10, 1: second // 10}
    assert er.memory_.capacity == (first + second) // 10


def test_memory_fraction_with_class_balanced_selection():
    tasks = [items(100, task=0), items(100, task=1, uid0=10_000, seed=1)]
    er = ER(ERSpec(memory_fraction=0.1, selection="class_balanced"))
    for stage in range(2):
        ctx = er_ctx(tasks, stage)
        er.begin_task(ctx)
        er.end_task(ctx)
    assert Counter(e.label for e in er.memory_.items) == {0: 5, 1: 5, 2: 5, 3: 5}


def er_with_memory(memory_items: list[Encoded], ratio: float = 1.0) -> ER:
    er = ER(ERSpec(memory_size=len(memory_items), replay_ratio=ratio))
    er.memory_ = ReplayMemory(len(memory_items), "reservoir")
    er.memory_.add(memory_items, random.Random(0))
    return er


@pytest.mark.parametrize(("ratio", "k"), [(1.0, 16), (0.5, 8), (0.0, 0)])
def test_replay_ratio_and_memory_examples_in_every_batch(ratio, k):
    current = items(160, task=1, uid0=10_000, seed=1)
    memory = items(50, task=0)
    er = er_with_memory(memory, ratio)
    ctx = er_ctx([memory, current], stage=1)
    batches = make_batches(current, random.Random(0), batch_size=16)
    out = er.train_batches(ctx, batches)
    memory_uids = {e.uid for e in memory}
    assert len(out) == len(batches)
    for before, after in zip(batches, out):
        assert after[: len(before)] == before  # the stage's own examples first, unchanged
        replayed = after[len(before) :]
        assert len(replayed) == k
        assert {e.uid for e in replayed} <= memory_uids
        assert len({e.uid for e in replayed}) == k  # distinct within a batch


def test_er_replays_every_memory_example_equally_often():
    current = items(320, task=1, uid0=10_000, seed=1)
    memory = items(40, task=0)
    er = er_with_memory(memory)
    counts = Counter()
    for epoch in range(100):
        ctx = er_ctx([memory, current], stage=1, seed=epoch)
        batches = make_batches(current, random.Random(epoch), batch_size=16)
        for b in er.train_batches(ctx, batches):
            counts.update(e.uid for e in b[16:])
    expected = 100 * 20 * 16 / 40  # epochs x batches x k / memory size
    assert all(abs(counts[e.uid] / expected - 1) < 0.15 for e in memory)


def test_er_padding_overhead_is_its_extra_real_tokens():
    """A fixed case: 480 current and 200 memory examples, lengths 4..63, batch 16 (+16
    replayed). Length-matched replay computes about 1.15x its own real tokens (16 examples
    of a 200-example memory cannot all have the batch's length); memory examples drawn at
    random (the old way) pad every batch to the longest of them: about 2.5x."""
    current = items(480, task=1, uid0=10_000, seed=1)
    memory = items(200, task=0, seed=2)
    er = er_with_memory(memory)
    seq = make_batches(current, random.Random(0), batch_size=16)
    with_er = er.train_batches(er_ctx([memory, current], stage=1), seq)
    extra_real = real(with_er) - real(seq)
    extra_computed = padded(with_er) - padded(seq)
    assert padded(seq) / real(seq) < 1.1
    assert extra_computed < 1.25 * extra_real
    rng = random.Random(0)
    old_way = [b + er.memory_.sample(16, rng) for b in seq]
    assert padded(old_way) - padded(seq) > 2 * (real(old_way) - real(seq))


def test_sample_similar_is_uniform_and_length_grouped():
    memory = ReplayMemory(100, "reservoir")
    memory.add(items(100), random.Random(0))
    rng = random.Random(1)
    counts, spread, random_spread = Counter(), 0, 0
    for _ in range(4000):
        picked = memory.sample_similar(10, rng)
        assert len({e.uid for e in picked}) == 10
        counts.update(e.uid for e in picked)
        spread += max(len(e.ids) for e in picked) - min(len(e.ids) for e in picked)
        plain = memory.sample(10, rng)
        random_spread += max(len(e.ids) for e in plain) - min(len(e.ids) for e in plain)
    assert all(abs(counts[i] / 400 - 1) < 0.2 for i in range(100))  # 4000 x 10 / 100
    assert spread < 0.25 * random_spread


def test_derpp_memory_depends_on_the_seed():
    """DER++'s reservoir generator comes from the run's seed (it was seeded by the stage
    alone, the same for every seed)."""
    memories = []
    for seed in (0, 1, 0):
        d = DERPP(DERPPSpec(memory_size=20))
        d.begin_task(SimpleNamespace(stage=0, rng=derived_rng(seed, "strategy", 0, 0)))
        d.memory_.add([(e, None) for e in items(300)], d.rng_)
        memories.append([e.uid for e, _ in d.memory_.items])
    assert memories[0] == memories[2]
    assert memories[0] != memories[1]


def test_lamol_pseudo_examples_are_grouped_with_the_task():
    from forgetlab.strategies.lamol import LAMOL, LAMOLSpec
    from forgetlab.streams.task import Example

    current = [
        Example("x" * n, 0, 1, i)
        for i, n in enumerate(random.Random(0).choices(range(4, 64), k=320))
    ]
    pseudo = [
        Example("y" * n, 1, 0, 10_000 + i)
        for i, n in enumerate(random.Random(1).choices(range(4, 64), k=64))
    ]
    encode = lambda exs: [  # noqa: E731  (uid first: no two examples are copies)
        Encoded((e.uid, *range(1, len(e.text))), e.label, e.task, e.uid) for e in exs
    ]
    ctx = SimpleNamespace(
        task=SimpleNamespace(train=tuple(current)),
        batches=lambda exs: make_batches(encode(exs), random.Random(0), batch_size=16),
    )
    lamol = LAMOL(LAMOLSpec())
    lamol.pseudo_ = pseudo
    out = lamol.train_batches(ctx, None)
    assert sum(len(b) for b in out) == 384
    assert padded(out) / real(out) < 1.1

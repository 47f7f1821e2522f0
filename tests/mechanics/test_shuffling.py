"""Shuffling does not depend on which strategies run: each strategy draws from its own
generator, so adding ER (which samples its memory every batch) leaves the order in which
each stage sees its own task's examples unchanged, epoch after epoch."""

from __future__ import annotations

import torch

from forgetlab.strategies.er import ER, ERSpec
from forgetlab.strategies.seq import Seq, SeqSpec
from forgetlab.train.stream import train_stream
from tests.fake_learner import ToyLearner, toy_stream, train_spec


def order_seen(strategies) -> list[list[int]]:
    """Per stage: the uids of the stage's own task examples, in the order batches hold them."""
    stream = toy_stream(per_label=12)
    learner = ToyLearner(stream)
    seen: dict[int, list[int]] = {}
    real = learner.collate

    def spy(items):
        for e in items:
            if e.task == spy.stage:
                seen.setdefault(e.task, []).append(e.uid)
        return real(items)

    spy.stage = 0
    learner.collate = spy
    train = train_spec(epochs=3, group_by_length=True)
    for result in train_stream(
        learner, stream, strategies, train, seed=7, device=torch.device("cpu")
    ):
        spy.stage = result.stage + 1  # the next stage's task
    return [seen[t] for t in sorted(seen)]


def test_seq_and_seq_er_see_the_same_shuffling():
    plain = order_seen([Seq(SeqSpec())])
    with_er = order_seen([Seq(SeqSpec()), ER(ERSpec(memory_size=8))])
    assert len(plain) == 2 and len(plain[1]) == 3 * 24  # 3 epochs of task 1's 24 examples
    assert with_er == plain
    # the order is a real shuffle, and epochs differ from each other
    assert plain[0][:24] != sorted(plain[0][:24])
    assert plain[1][:24] != plain[1][24:48]

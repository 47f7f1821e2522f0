"""The run installs `readout` and `prompt_context` on the learner: readouts apply in the
strategies' order to the scores a prediction takes its argmax from, contexts join in order,
and the tokenization cache re-encodes an example only when its context changes."""

from __future__ import annotations

import torch

from forgetlab.models.learner import Encoded
from forgetlab.strategies.base import Strategy
from forgetlab.strategies.seq import SeqSpec
from forgetlab.streams.task import Example
from forgetlab.train.encode import EncodeCache
from forgetlab.train.stream import install_prediction_hooks


class AddOne(Strategy):
    Spec = SeqSpec

    def readout(self, learner, batch, candidates, scores, features):
        return scores + torch.tensor([[0.0, 1.0]])

    def prompt_context(self, learner, examples):
        return [f"<{ex.uid}>" for ex in examples]


class Double(Strategy):
    Spec = SeqSpec

    def readout(self, learner, batch, candidates, scores, features):
        return scores * 2

    def prompt_context(self, learner, examples):
        return None  # none from this one


class Stub:
    """What install_prediction_hooks and EncodeCache need of a learner."""

    readout = prompt_context = None

    def __init__(self):
        self.encoded = []

    def contexts(self, examples):
        return (
            [""] * len(examples) if self.prompt_context is None else self.prompt_context(examples)
        )

    def encode(self, ex, context=""):
        self.encoded.append((ex.uid, context))
        return Encoded((len(context),), ex.label, ex.task, ex.uid)


def test_readouts_compose_in_order_and_contexts_join():
    learner = Stub()
    install_prediction_hooks(learner, [AddOne(SeqSpec()), Double(SeqSpec())])
    out = learner.readout(learner, None, (0, 1), torch.tensor([[1.0, 1.0]]), None)
    assert out.tolist() == [[2.0, 4.0]]  # (1, 1) + (0, 1), then doubled
    exs = [Example("a", 0, 0, 3), Example("b", 1, 0, 4)]
    assert learner.prompt_context(exs) == ["<3>", "<4>"]
    install_prediction_hooks(learner, [Strategy(SeqSpec())])  # no strategy overrides them
    assert learner.readout is None and learner.prompt_context is None


def test_encode_cache_re_encodes_only_when_the_context_changes():
    learner = Stub()
    cache = EncodeCache(learner)
    ex = [Example("a", 0, 0, 1)]
    contexts = iter(["x", "x", "yy"])
    learner.prompt_context = lambda examples: [next(contexts)]
    for _ in range(3):
        cache(ex)
    assert learner.encoded == [(1, "x"), (1, "yy")]
    assert cache.lookup([1])[0].ids == (2,)

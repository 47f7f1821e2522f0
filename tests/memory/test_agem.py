"""A-GEM: the projection on a hand case, the loop writes what `adjust_gradients` returns, and
in a real run every projected step's gradient no longer opposes the memory's."""

from __future__ import annotations

import torch

import forgetlab.strategies.agem as agem
from forgetlab.spec import spec_from_dict
from forgetlab.strategies.base import Strategy
from forgetlab.strategies.seq import SeqSpec
from tests.conftest import loop, tiny_wordnet


def test_projection_on_a_hand_case():
    g, ref = torch.tensor([1.0, 0.0]), torch.tensor([-1.0, 1.0])  # g . ref = -1 < 0
    new, projected = agem.project(g, ref)
    # g - (g.ref / ref.ref) ref = (1, 0) - (-1/2)(-1, 1) = (0.5, 0.5)
    assert projected and new.tolist() == [0.5, 0.5]
    assert torch.dot(new, ref).item() == 0.0
    same, projected = agem.project(torch.tensor([1.0, 2.0]), ref)  # g . ref = 1 >= 0: kept
    assert not projected and same.tolist() == [1.0, 2.0]
    zero, projected = agem.project(g, torch.zeros(2))  # an empty constraint never projects
    assert not projected and zero.tolist() == [1.0, 0.0]


class ZeroGradients(Strategy):
    """Returns zero gradients for every trained parameter: nothing may move."""

    Spec = SeqSpec

    def adjust_gradients(self, ctx, params):
        return {k: torch.zeros_like(p) for k, p in params.items()}


def small_spec(**strategy) -> object:
    d = tiny_wordnet(train_per_class=16, test_per_class=4)
    d["model"]["config_overrides"] = {"num_hidden_layers": 1}
    d["train"].update(epochs=1, weight_decay=0.0)
    d["strategy"] = strategy or {"kind": "seq"}
    return spec_from_dict(d)


def test_the_loop_writes_the_adjusted_gradients():
    spec = small_spec()
    learner, stream, _, stages = loop(spec, strategies=[ZeroGradients(SeqSpec())])
    before = {k: v.detach().clone() for k, v in learner.named_parameters()}
    results = list(stages)
    assert all(r.stats.hook_s["seq"]["adjust_gradients"] > 0 for r in results[1:])
    for k, v in learner.named_parameters():  # AdamW without weight decay: zero steps
        assert torch.equal(v, before[k]), k


def test_projected_updates_do_not_raise_the_memory_loss(monkeypatch):
    seen = []
    real = agem.project

    def spy(g, ref):
        new, projected = real(g, ref)
        seen.append((torch.dot(g, ref).item(), torch.dot(new, ref).item(), projected))
        return new, projected

    monkeypatch.setattr(agem, "project", spy)
    learner, stream, (strategy,), stages = loop(small_spec(kind="agem", memory_size=12))
    list(stages)
    assert len(strategy.memory_) == 12
    assert seen and all(after >= -1e-4 * max(1.0, abs(before)) for before, after, _ in seen)
    assert all(p == (before < 0) for before, _, p in seen)
    summary = strategy.summary()
    assert summary["steps_with_memory"] == len(seen)  # every step after stage 0
    assert summary["projected_steps"] == sum(p for *_, p in seen)
    assert summary["projected_steps"] > 0, "the planted conflict between tasks is found"

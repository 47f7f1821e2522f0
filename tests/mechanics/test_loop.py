"""The stage loop's settings take effect, checked against hand-computed values on a tiny,
fully known learner: lr warmup and decay, gradient clipping, weight decay, the strategies'
learning-rate and trainable hooks, max_steps and step budgets."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from forgetlab.strategies.base import Strategy
from forgetlab.streams.transforms.base import STEP_BUDGET
from forgetlab.train.loop import train_stage
from tests.fake_learner import ToyLearner, context, toy_stream, train_spec


@pytest.fixture
def steps_seen(monkeypatch):
    """Per optimizer step: the lr it used and the total grad norm it saw (after clipping)."""
    seen: list[dict] = []
    real = torch.optim.AdamW.step

    def spy(self, *a, **k):
        grads = [p.grad for g in self.param_groups for p in g["params"] if p.grad is not None]
        norm = float(
            torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
        )
        seen.append({"lr": self.param_groups[0]["lr"], "norm": norm})
        return real(self, *a, **k)

    monkeypatch.setattr(torch.optim.AdamW, "step", spy)
    return seen


def expected_lrs(peak: float, total: int, warmup: int) -> list[float]:
    """transformers' linear schedule with warmup, as the loop promises: 0 -> peak -> 0."""
    return [
        peak * k / warmup if k < warmup else peak * max(0.0, (total - k) / (total - warmup))
        for k in range(total)
    ]


def test_warmup_then_linear_decay(steps_seen):
    stream = toy_stream(per_label=12)  # task 0: 24 examples -> 3 batches of 8 per epoch
    learner = ToyLearner(stream)
    train = train_spec(epochs=4, lr=0.1, warmup_ratio=0.25, max_grad_norm=0)
    stats = train_stage(context(learner, stream, train), [])
    assert stats.steps == 12
    assert [s["lr"] for s in steps_seen] == pytest.approx(expected_lrs(0.1, 12, 3))


def test_gradient_clipping_bounds_the_norm(steps_seen):
    stream = toy_stream()
    train_stage(context(ToyLearner(stream), stream, train_spec(max_grad_norm=1e-3)), [])
    assert max(s["norm"] for s in steps_seen) <= 1e-3 * (1 + 1e-5)
    steps_seen.clear()
    train_stage(context(ToyLearner(stream), stream, train_spec(max_grad_norm=0)), [])
    assert max(s["norm"] for s in steps_seen) > 1e-2  # unclipped gradients are larger


def test_weight_decay_shrinks_an_unused_row_by_the_schedule(steps_seen):
    # A word id that no example uses gets a zero gradient row: Adam's update for it is 0, so
    # only AdamW's decoupled decay moves it: row *= (1 - lr_k * wd) at every step k.
    stream = toy_stream()
    learner = ToyLearner(stream)
    used = {i for t in stream.tasks for ex in (*t.train, *t.test) for i in learner.encode(ex).ids}
    row = next(i for i in range(1, learner.vocab) if i not in used)
    before = learner.backbone.embed.weight[row].detach().clone()
    train_stage(context(learner, stream, train_spec(weight_decay=0.5, lr=0.2)), [])
    factor = math.prod(1 - s["lr"] * 0.5 for s in steps_seen)
    assert factor < 0.9  # the decay is large enough to see
    after = learner.backbone.embed.weight[row].detach()
    torch.testing.assert_close(after, before * factor, rtol=1e-5, atol=1e-7)


class HalfLr(Strategy):
    """Halves the stage's peak lr and trains only the head."""

    def learning_rate(self, ctx, lr: float) -> float:
        return lr / 2

    def trainable(self, ctx, params: dict) -> dict:
        return {n: p for n, p in params.items() if n.startswith("head.")}


class _Kind:
    kind = "half_lr"


def test_strategy_lr_and_trainable_hooks_take_effect(steps_seen):
    stream = toy_stream()
    learner = ToyLearner(stream)
    embed = learner.backbone.embed.weight.detach().clone()
    head = learner.head.weight.detach().clone()
    train = train_spec(epochs=1, lr=0.08, warmup_ratio=0.0, max_grad_norm=0)
    stats = train_stage(context(learner, stream, train), [HalfLr(_Kind())])
    assert steps_seen[0]["lr"] == pytest.approx(0.04)  # no warmup: the first step has the peak
    assert torch.equal(learner.backbone.embed.weight, embed)  # outside the trained set
    assert not torch.equal(learner.head.weight, head)
    assert stats.trained == {"head.weight", "head.bias"}


def test_max_steps_stops_and_the_schedule_spans_them(steps_seen):
    stream = toy_stream()
    train = train_spec(epochs=5, lr=0.1, warmup_ratio=0.5, max_grad_norm=0)
    stats = train_stage(context(ToyLearner(stream), stream, train), [], max_steps=4)
    assert stats.steps == 4
    assert [s["lr"] for s in steps_seen] == pytest.approx(expected_lrs(0.1, 4, 2))


def test_step_budget_holds_the_steps_of_the_untransformed_task(steps_seen):
    # The task now has 24 examples; a "steps" budget says it had 8 before its transform:
    # 2 epochs x ceil(8 / 8) = 2 steps, not 2 x 3 = 6.
    stream = toy_stream(per_label=12)
    budgeted = replace(stream, info={STEP_BUDGET: {stream.tasks[0].name: 8}})
    stats = train_stage(context(ToyLearner(stream), budgeted, train_spec(epochs=2)), [])
    assert stats.steps == 2
    # and a smaller split trains more passes: 40 examples before -> 2 x 5 = 10 steps
    budgeted = replace(stream, info={STEP_BUDGET: {stream.tasks[0].name: 40}})
    stats = train_stage(context(ToyLearner(stream), budgeted, train_spec(epochs=2)), [])
    assert stats.steps == 10

"""EWC/MAS penalty bookkeeping with known numbers: the anchor is a copy, the scale is the
first task's mean (or each task's, or none), offline terms merge exactly, online decays."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from forgetlab.strategies.ewc import EWC, EWCSpec
from forgetlab.strategies.mas import MAS, MASSpec
from forgetlab.strategies.regularization import merge_offline


class Planted(EWC):
    """EWC whose importance at stage t is the given tensor (no model pass)."""

    def __init__(self, spec, per_stage):
        super().__init__(spec)
        self.per_stage = per_stage

    def importance(self, ctx, examples):
        return {"w": self.per_stage[ctx.stage].clone()}


def model(value: float = 0.0) -> nn.Module:
    m = nn.Module()
    m.w = nn.Parameter(torch.full((4,), value))
    return m


def ctx_for(learner, stage: int, n_tasks: int = 5):
    task = SimpleNamespace(train=tuple(range(10)))
    return SimpleNamespace(
        stage=stage,
        stream=SimpleNamespace(tasks=[task] * n_tasks),
        task=task,
        rng=random.Random(stage),
        learner=learner,
    )


def penalty(strategy, learner) -> torch.Tensor:
    out = SimpleNamespace(loss=torch.zeros(()))
    value = strategy.penalty(SimpleNamespace(learner=learner), None, out)
    return None if value is None else value.detach()


def train_through(strategy, learner, anchors: list[float]) -> None:
    """end_task at stages 0, 1, ... with the weights set to anchors[t] at stage t."""
    for stage, a in enumerate(anchors):
        with torch.no_grad():
            learner.w.fill_(a)
        strategy.end_task(ctx_for(learner, stage))


def test_anchor_is_a_copy_not_the_live_weights():
    learner = model(1.0)
    ewc = Planted(EWCSpec(lambda_=2.0), [torch.ones(4)])
    ewc.end_task(ctx_for(learner, 0))
    assert ewc.center_["w"].data_ptr() != learner.w.data_ptr()
    assert float(penalty(ewc, learner)) == 0.0
    with torch.no_grad():
        learner.w.add_(0.5)  # training moves the weights; the anchor must not follow
    assert torch.equal(ewc.center_["w"], torch.ones(4))
    # lambda / 2 * sum(1 * 0.5^2) over 4 entries (importance 1 / its mean 1)
    assert float(penalty(ewc, learner)) == pytest.approx(2.0 / 2 * 4 * 0.25)


def test_first_task_normalisation_keeps_later_tasks_relative_size():
    """Task 0 mean 2, task 1 mean 0.5: scaled by 2 both, so task 1 weighs 0.25 (per-task
    normalisation would give it 1, as much as task 0)."""
    imps = [torch.full((4,), 2.0), torch.full((4,), 0.5)]
    first = Planted(EWCSpec(lambda_=1.0), imps)
    train_through(first, model(), [0.0, 0.0])
    assert torch.allclose(first.weight_["w"], torch.full((4,), 1.0 + 0.25))
    assert first.summary() == {
        "normalize": "first_task",
        "raw_importance_mean": [2.0, 0.5],
        "effective_lambda": [0.5, 0.5],
    }
    per_task = Planted(EWCSpec(lambda_=1.0, normalize="per_task"), imps)
    train_through(per_task, model(), [0.0, 0.0])
    assert torch.allclose(per_task.weight_["w"], torch.full((4,), 2.0))
    assert per_task.summary()["effective_lambda"] == [0.5, 2.0]
    raw = Planted(EWCSpec(lambda_=1.0, normalize="none"), imps)
    train_through(raw, model(), [0.0, 0.0])
    assert torch.allclose(raw.weight_["w"], torch.full((4,), 2.5))
    assert raw.summary()["effective_lambda"] == [1.0, 1.0]


def test_offline_terms_merge_into_one_pair_with_the_same_penalty_and_gradient():
    """sum_t F_t (theta - a_t)^2 == A (theta - c)^2 + k, value and gradient, for 3 tasks."""
    g = torch.Generator().manual_seed(0)
    F = [torch.rand(6, generator=g) * s for s in (1.0, 3.0, 0.1)]
    F[1][2] = 0.0  # an entry no task but one cares about
    anchors = [torch.randn(6, generator=g) for _ in F]
    weight, center, k = {}, {}, 0.0
    for f, a in zip(F, anchors):
        weight, center, dk = merge_offline(weight, center, {"w": f}, {"w": a})
        k += dk
    theta = torch.randn(6, generator=g, requires_grad=True)
    direct = sum((f * (theta - a) ** 2).sum() for f, a in zip(F, anchors))
    merged = (weight["w"] * (theta - center["w"]) ** 2).sum() + k
    assert float(merged) == pytest.approx(float(direct), rel=1e-5)
    (g1,) = torch.autograd.grad(direct, theta)
    (g2,) = torch.autograd.grad(merged, theta)
    assert torch.allclose(g1, g2, atol=1e-5)


def test_offline_strategy_holds_one_pair_and_sums_the_tasks():
    learner = model()
    ewc = Planted(EWCSpec(lambda_=4.0), [torch.ones(4), torch.ones(4) * 3.0])
    train_through(ewc, learner, [1.0, 2.0])
    # scale 1 (task 0's mean): 1 * (theta - 1)^2 + 3 * (theta - 2)^2 at theta = 0: 1 + 12
    with torch.no_grad():
        learner.w.zero_()
    assert float(penalty(ewc, learner)) == pytest.approx(4.0 / 2 * 4 * 13)
    assert set(ewc.fitted_state()) >= {"weight_", "center_", "offset_"}
    assert ewc.state_bytes() == 2 * 4 * 4  # one (importance, anchor) pair of 4 floats


def test_online_decays_old_importance_and_moves_the_anchor():
    learner = model()
    spec = EWCSpec(lambda_=1.0, online=True, gamma=0.5)
    ewc = Planted(spec, [torch.ones(4), torch.ones(4), torch.ones(4) * 2.0])
    train_through(ewc, learner, [1.0, 2.0, 3.0])
    # 0.5 * (0.5 * 1 + 1) + 2 = 2.75; anchor = the weights at the last end_task
    assert torch.allclose(ewc.weight_["w"], torch.full((4,), 2.75))
    assert torch.equal(ewc.center_["w"], torch.full((4,), 3.0))
    assert ewc.offset_ == 0.0


def test_last_stage_adds_nothing():
    learner = model()
    ewc = Planted(EWCSpec(), [torch.ones(4)] * 5)
    ewc.end_task(ctx_for(learner, 4))
    assert ewc.fitted_state() == {} and penalty(ewc, learner) is None


def test_mas_defaults_online_and_importances_in_parameter_dtype():
    assert MAS(MASSpec()).spec.online
    learner = model().to(torch.float64)
    ewc = Planted(EWCSpec(), [torch.ones(4, dtype=torch.float64)])
    ewc.end_task(ctx_for(learner, 0))
    assert ewc.weight_["w"].dtype == ewc.center_["w"].dtype == torch.float64

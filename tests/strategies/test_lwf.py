"""LwF with known answers: KL(teacher || student) at temperature T scaled by T^2, over the old
tasks' classes (one softmax in class-incremental streams, one per old task otherwise)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from forgetlab.strategies.lwf import LwF, LwFSpec, kl


def kl_by_hand(student: list[float], teacher: list[float], t: float) -> float:
    """t^2 * sum_c q_c log(q_c / p_c), q = softmax(teacher / t), p = softmax(student / t)."""

    def softmax(z):
        e = [math.exp(v / t) for v in z]
        return [v / sum(e) for v in e]

    q, p = softmax(teacher), softmax(student)
    return t * t * sum(qc * math.log(qc / pc) for qc, pc in zip(q, p))


def test_kl_direction_and_temperature():
    student, teacher = [0.0, 0.0, 1.0], [2.0, 0.0, -1.0]
    s, q = torch.tensor([student]), torch.tensor([teacher])
    assert float(kl(s, q, 1.0)) == pytest.approx(kl_by_hand(student, teacher, 1.0), rel=1e-5)
    assert float(kl(s, q, 2.0)) == pytest.approx(kl_by_hand(student, teacher, 2.0), rel=1e-5)
    # KL(teacher || student), not the reverse: the two differ here
    assert abs(kl_by_hand(student, teacher, 1.0) - kl_by_hand(teacher, student, 1.0)) > 0.05
    assert float(kl(s, q, 1.0)) != pytest.approx(kl_by_hand(teacher, student, 1.0), rel=1e-2)
    # batchmean: the mean over examples
    two = kl(torch.tensor([student, teacher]), torch.tensor([teacher, teacher]), 1.0)
    assert float(two) == pytest.approx(kl_by_hand(student, teacher, 1.0) / 2, rel=1e-5)


class FakeLearner(nn.Module):
    """Features are the logits over all 6 classes (3 tasks x 2); heads keep the columns of
    the given tasks' blocks and put -inf elsewhere, like TaskHeads."""

    def __init__(self, logits: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("table", logits)

    def features(self, batch):
        return self.table

    def heads(self, features, tasks):
        keep = torch.zeros(6, dtype=torch.bool)
        for t in tasks:
            keep[2 * t : 2 * t + 2] = True
        return features.masked_fill(~keep, float("-inf"))


TEACHER = [1.0, -1.0, 0.5, 2.0, 0.0, 0.0]
STUDENT = [0.0, 0.0, 1.0, -0.5, 3.0, -2.0]  # columns 4, 5: the current task (stage 2)


def lwf_penalty(scenario: str, student: list[float]) -> float:
    stream = SimpleNamespace(
        scenario=scenario, tasks=[SimpleNamespace(classes=(2 * t, 2 * t + 1)) for t in range(3)]
    )
    learner = FakeLearner(torch.tensor([TEACHER]))
    ctx = SimpleNamespace(stage=2, stream=stream, learner=learner)
    lwf = LwF(LwFSpec(alpha=1.5, temperature=2.0))
    lwf.begin_task(ctx)  # the teacher: a copy of the model as the stage starts
    learner.table = torch.tensor([student])
    out = SimpleNamespace(features=learner.table, loss=torch.zeros(()))
    return float(lwf.penalty(ctx, None, out))


def test_class_incremental_one_softmax_over_all_old_classes():
    expected = 1.5 * kl_by_hand(STUDENT[:4], TEACHER[:4], 2.0)
    assert lwf_penalty("class_incremental", STUDENT) == pytest.approx(expected, rel=1e-5)


def test_task_incremental_one_softmax_per_old_task():
    per_task = [kl_by_hand(STUDENT[a:b], TEACHER[a:b], 2.0) for a, b in ((0, 2), (2, 4))]
    expected = 1.5 * sum(per_task) / 2
    assert lwf_penalty("task_incremental", STUDENT) == pytest.approx(expected, rel=1e-5)
    assert expected != pytest.approx(1.5 * kl_by_hand(STUDENT[:4], TEACHER[:4], 2.0), rel=1e-2)


def test_current_task_classes_are_not_distilled():
    moved = [*STUDENT[:4], -7.0, 9.0]
    for scenario in ("class_incremental", "task_incremental"):
        assert lwf_penalty(scenario, moved) == pytest.approx(lwf_penalty(scenario, STUDENT))

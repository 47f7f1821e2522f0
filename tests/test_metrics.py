"""Metrics against hand-computed matrices, and properties that must hold for any matrix."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forgetlab.metrics import (
    all_metrics,
    average_accuracy,
    average_forgetting,
    bwt,
    fwt,
    learning_accuracy,
)

# R[i][j]: accuracy on task j after stage i.
R = [
    [0.9, 0.1, 0.2],
    [0.6, 0.8, 0.3],
    [0.3, 0.5, 0.7],
]
b = [0.5, 0.2, 0.1]


def test_hand_computed_3x3():
    assert average_accuracy(R) == pytest.approx((0.3 + 0.5 + 0.7) / 3)
    assert learning_accuracy(R) == pytest.approx((0.9 + 0.8 + 0.7) / 3)
    assert bwt(R) == pytest.approx(((0.3 - 0.9) + (0.5 - 0.8)) / 2)
    # task 0: max(0.9, 0.6) - 0.3 = 0.6; task 1: max(0.8) - 0.5 = 0.3
    assert average_forgetting(R) == pytest.approx((0.6 + 0.3) / 2)
    # task 1: R[0][1] - b[1] = 0.1 - 0.2; task 2: R[1][2] - b[2] = 0.3 - 0.1
    assert fwt(R, b) == pytest.approx(((0.1 - 0.2) + (0.3 - 0.1)) / 2)


def test_forgetting_uses_the_best_earlier_stage_not_the_diagonal():
    # task 0 improves after stage 0 (0.5 -> 0.9) then drops to 0.4: forgetting is 0.5,
    # while BWT (end minus diagonal) only sees -0.1.
    R4 = [[0.5, 0, 0, 0], [0.9, 0.6, 0, 0], [0.7, 0.6, 0.8, 0], [0.4, 0.6, 0.8, 0.9]]
    assert average_forgetting(R4) == pytest.approx((0.5 + 0.0 + 0.0) / 3)
    assert bwt(R4) == pytest.approx((-0.1 + 0.0 + 0.0) / 3)


def test_single_task_figures_over_no_task_are_nan():
    m = all_metrics([[0.8]], [0.1])
    assert m["average_accuracy"] == m["learning_accuracy"] == pytest.approx(0.8)
    assert all(math.isnan(m[k]) for k in ("bwt", "average_forgetting", "fwt"))


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match="square"):
        bwt([[1.0, 0.5]])
    with pytest.raises(ValueError, match="length 2"):
        fwt([[1, 0], [0, 1]], [0.1])


square = st.integers(2, 6).flatmap(
    lambda n: arrays(np.float64, (n, n), elements=st.floats(0, 1, allow_nan=False))
)


@given(square)
def test_constant_columns_mean_no_forgetting(M):
    const = np.tile(M[0], (M.shape[0], 1))  # every stage scores each task the same
    assert average_forgetting(const) == pytest.approx(0.0)
    assert bwt(const) == pytest.approx(0.0)


@given(square)
def test_forgetting_bounds_bwt(M):
    # forgetting uses the best earlier accuracy, BWT the diagonal: forgetting >= -BWT >= ...
    assert average_forgetting(M) >= -bwt(M) - 1e-12
    assert 0.0 <= average_accuracy(M) <= 1.0


@given(square)
def test_bwt_equals_minus_forgetting_when_accuracy_only_falls(M):
    # make every column non-increasing below the diagonal: then max over i is R[j][j]
    n = M.shape[0]
    mono = M.copy()
    for j in range(n):
        for i in range(j + 1, n):
            mono[i, j] = min(mono[i - 1, j], mono[i, j])
    assert bwt(mono) == pytest.approx(-average_forgetting(mono))

"""Linear CKA identities and the geometry figures on hand examples."""

from __future__ import annotations

import numpy as np
import pytest

from forgetlab.probing.cka import linear_cka
from forgetlab.probing.geometry import overlap, separability


@pytest.mark.parametrize("shape", [(50, 10), (6, 20)])  # feature-space and Gram-matrix paths
def test_cka_identities(shape):
    rng = np.random.default_rng(0)
    X = rng.normal(size=shape)
    Q, _ = np.linalg.qr(rng.normal(size=(shape[1], shape[1])))
    assert linear_cka(X, X) == pytest.approx(1.0)
    assert linear_cka(X, X @ Q) == pytest.approx(1.0)  # orthogonal rotation
    assert linear_cka(X, 3.7 * X + 5.0) == pytest.approx(1.0)  # isotropic scale, shift
    stretched = X * np.linspace(1, 30, shape[1])  # anisotropic scaling does change it
    assert linear_cka(X, stretched) < 0.95
    assert linear_cka(X, X @ Q) == pytest.approx(linear_cka(X @ Q, X))


def test_cka_hand_example():
    # 1-d features: CKA is the squared Pearson correlation; centred x = (-1, 0, 1),
    # y = (-1, 1, 0): correlation 1 / 2, CKA 1 / 4
    x = np.array([[1.0], [2.0], [3.0]])
    y = np.array([[1.0], [3.0], [2.0]])
    assert linear_cka(x, y) == pytest.approx(0.25)


def test_cka_needs_the_same_examples():
    with pytest.raises(ValueError, match="same examples"):
        linear_cka(np.zeros((3, 2)), np.zeros((4, 2)))


def test_separability_by_hand():
    X = np.array([[0.0], [2.0], [10.0], [12.0]])
    y = np.array([0, 0, 1, 1])
    # means 1 and 11, global 6: between = 2*25 + 2*25 = 100; within = 4 -> 25
    assert separability(X, y) == pytest.approx(25.0)


def test_overlap_takes_the_nearest_old_new_pair():
    X_old, y_old = np.array([[0.0], [2.0]]), np.array([0, 0])  # mean 1, spread 1
    X_new = np.array([[5.0], [7.0], [100.0], [104.0]])  # means 6 (spread 1) and 102
    y_new = np.array([1, 1, 2, 2])
    # nearest pair: 1 vs 6, distance 5, mean spread 1 -> 0.2
    assert overlap(X_old, y_old, X_new, y_new) == pytest.approx(0.2)

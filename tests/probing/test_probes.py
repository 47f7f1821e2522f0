"""Probe kinds: planted structure recovered, hand computations, closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from forgetlab.probing.probes import build_probe, probe_kinds
from forgetlab.probing.ridge import ALPHA

KINDS = ["linear", "ridge", "prototype", "cosine_prototype"]


def planted(n_per_class: int, k: int, d: int, delta: float, seed: int):
    """Class c ~ N(delta * e_c, I): means pairwise delta*sqrt(2) apart, equal norms."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(k), n_per_class) * 10 + 3  # global ids 3, 13, 23, ...
    X = rng.normal(size=(len(y), d))
    X[np.arange(len(y)), (y - 3) // 10] += delta
    return X.astype(np.float32), y


def test_every_kind_is_registered():
    assert probe_kinds.names() == sorted(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_probes_recover_planted_classes(kind: str):
    k, d, delta = 4, 16, 4.0
    X, y = planted(50, k, d, delta, seed=0)
    Xt, yt = planted(200, k, d, delta, seed=1)
    # With the true means every kind's rule is "largest coordinate wins" (equal-norm means),
    # so its error is at most (k-1) * Phi(-delta*sqrt(2)/2) by the union bound (0.7% here);
    # 3 points of slack cover means estimated from 50 examples per class.
    bound = 1 - (k - 1) * norm.cdf(-delta * np.sqrt(2) / 2) - 0.03
    acc = (build_probe(kind).fit(X, y).predict(Xt) == yt).mean()
    assert acc >= bound, (kind, acc, bound)
    # labels unrelated to the features: chance level (0.25), far below the bound
    shuffled = np.random.default_rng(2).permutation(y)
    acc_null = (build_probe(kind).fit(X, shuffled).predict(Xt) == yt).mean()
    assert acc_null < 0.45


def test_prototype_is_the_nearest_class_mean_by_hand():
    X = np.array([[0, 0], [2, 0], [10, 10], [12, 10]], dtype=np.float32)
    y = np.array([3, 3, 7, 7])  # means (1, 0) and (11, 10)
    probe = build_probe("prototype").fit(X, y)
    # (5, 4): 5.66 from (1, 0), 8.49 from (11, 10); (6, 6): 7.81 vs 6.40
    assert probe.predict(np.array([[5, 4], [6, 6]], dtype=np.float32)).tolist() == [3, 7]


def test_cosine_prototype_compares_angles_not_distances():
    X = np.array([[8, 0], [12, 0], [0, 1], [0, 1]], dtype=np.float32)
    y = np.array([5, 5, 9, 9])  # means (10, 0) and (0, 1)
    point = np.array([[2, 1]], dtype=np.float32)
    # euclidean: 8.06 from (10, 0), 2.0 from (0, 1) -> 9; cosine: 0.894 vs 0.447 -> 5
    assert build_probe("prototype").fit(X, y).predict(point).tolist() == [9]
    assert build_probe("cosine_prototype").fit(X, y).predict(point).tolist() == [5]


def test_ridge_equals_the_closed_form():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5)).astype(np.float32) * [1, 2, 3, 4, 5] + 7
    y = rng.integers(0, 3, size=60)
    Xt = rng.normal(size=(40, 5)).astype(np.float32) * 3
    probe = build_probe("ridge").fit(X, y)
    # By hand: standardize, centre the one-hot targets, solve [Xs; sqrt(a) I] W = [Yc; 0].
    mu, sd = X.mean(0), X.std(0)
    Xs = (X - mu) / sd
    Y = np.eye(3)[y]
    A = np.vstack([Xs, np.sqrt(ALPHA) * np.eye(5)])
    B = np.vstack([Y - Y.mean(0), np.zeros((5, 3))])
    W = np.linalg.lstsq(A, B, rcond=None)[0]  # (5, 3)
    # sklearn codes the targets as 2*onehot - 1: twice the weights, same argmax
    np.testing.assert_allclose(probe.model_[-1].coef_, 2 * W.T, rtol=1e-4, atol=1e-5)
    mine = ((Xt - mu) / sd @ W + Y.mean(0)).argmax(1)
    assert probe.predict(Xt).tolist() == mine.tolist()


def test_one_class_is_predicted_as_a_constant():
    X = np.random.default_rng(0).normal(size=(5, 3))
    for kind in KINDS:
        assert build_probe(kind).fit(X, np.full(5, 4)).predict(X[:2]).tolist() == [4, 4]

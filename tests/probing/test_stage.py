"""`probe_stage` on planted features: a probe accuracy at a known value, the best layer chosen
on validation rows even where the test rows would choose another, and the paired tests."""

from __future__ import annotations

import numpy as np
import pytest

from forgetlab.probing.features import FeatureBlock
from forgetlab.probing.stage import best_layer, probe_stage

KINDS = ["linear", "ridge", "prototype", "cosine_prototype"]


def block(uid0: int, x0: np.ndarray, labels: np.ndarray, seed: int, layers=(0, 1)) -> FeatureBlock:
    """Rows with feature 0 = x0[layer] (per row) and 3 small noise features."""
    rng = np.random.default_rng(seed)
    feats = {}
    for li, k in enumerate(layers):
        X = rng.normal(0, 0.1, size=(len(labels), 4))
        X[:, 0] += x0[li]
        X[:, 1] += 1.0  # away from the origin: cosine and euclidean agree
        feats[k] = X.astype(np.float32)
    uids = np.arange(uid0, uid0 + len(labels), dtype=np.int64)
    return FeatureBlock(uids, labels.astype(np.int64), feats)


def sides(labels: np.ndarray, wrong: np.ndarray) -> np.ndarray:
    """Feature 0 at -2 for class 0 and +2 for class 1, on the other side where `wrong`."""
    x = np.where(labels == 0, -2.0, 2.0)
    return np.where(wrong, -x, x)


def fit_masks(labels: np.ndarray, n_fit: int, K: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    w = np.zeros((K, len(labels)), dtype=bool)
    for k in range(K):
        for c in (0, 1):
            w[k, rng.choice(np.flatnonzero(labels == c), n_fit, replace=False)] = True
    return w


POOL_Y = np.repeat([0, 1], 30)
TEST_Y = np.repeat([0, 1], 20)
EVERY_FOURTH = np.arange(40) % 4 == 0  # 5 of each class's 20 test rows on the wrong side


def test_probe_accuracy_on_planted_features_is_the_known_value():
    """Separable training rows; 10 of 40 test rows planted on the other class's side: every
    probe kind scores exactly 0.75 with every subsample, at both layers."""
    x_pool = sides(POOL_Y, np.zeros(60, bool))
    x_test = sides(TEST_Y, EVERY_FOURTH)
    pool = {0: block(0, [x_pool, x_pool], POOL_Y, 1)}
    test = {0: block(100, [x_test, x_test], TEST_Y, 2)}
    # the untrained model: no signal at all (feature 0 is noise)
    pool0 = {0: block(0, [np.zeros(60)] * 2, POOL_Y, 3)}
    test0 = {0: block(100, [np.zeros(40)] * 2, TEST_Y, 4)}
    model = ~EVERY_FOURTH & (np.arange(40) < 14)  # the model's own head: right on 10 of 40
    rec = probe_stage(
        KINDS,
        [0, 1],
        pool,
        test,
        {0: fit_masks(POOL_Y, 20, 4, 0)},
        [[0]],
        n_tasks=2,
        baseline=(pool0, test0),
        model_hits={0: model},
        seed=(0, 0, 0),
    )["probes"]
    for kind in KINDS:
        r = rec[kind]
        assert r["accuracy"] == [[0.75, None], [0.75, None]], kind
        assert r["interval"][1][0] == [0.75, 0.75]  # every subsample agrees
        assert r["validation"] == [[1.0, None], [1.0, None]]  # held-out training rows
        assert r["vs_model"][0]["diff"] == pytest.approx(0.5) and r["vs_model"][0]["p"] < 0.01
        vs0 = r["vs_baseline"][0]
        assert vs0["diff"] == pytest.approx(0.75 - r["baseline"][1][0])
        assert vs0["p"] < 0.05 and vs0["low"] > 0  # found against a signal-free baseline
        assert r["vs_baseline"][1] is None and r["vs_model"][1] is None  # unseen task


def test_the_best_layer_is_chosen_on_validation_rows_never_on_test_rows():
    """Layer 0 separates the training split perfectly but its test rows sit on the wrong
    side; layer 1 has a quarter of the training rows on the wrong side but clean test rows.
    Test accuracy prefers layer 1, validation (from the training split) layer 0."""
    flipped = np.arange(60) % 4 == 0
    x_pool = [sides(POOL_Y, np.zeros(60, bool)), sides(POOL_Y, flipped)]
    x_test = [sides(TEST_Y, np.ones(40, bool)), sides(TEST_Y, np.zeros(40, bool))]
    rec = probe_stage(
        KINDS,
        [0, 1],
        {0: block(0, x_pool, POOL_Y, 5)},
        {0: block(100, x_test, TEST_Y, 6)},
        {0: fit_masks(POOL_Y, 20, 5, 1)},
        [[0]],
        n_tasks=1,
    )["probes"]
    for kind in KINDS:
        r = rec[kind]
        assert r["accuracy"][0][0] == 0.0 and r["accuracy"][1][0] > 0.85, kind
        assert r["validation"][0][0] == 1.0 and r["validation"][1][0] < 0.9, kind
        assert r["best_layer"] == 0, kind  # what validation says, against the test rows


def test_best_layer_by_hand():
    assert best_layer([[0.5, 0.7], [0.8, None], [0.6, 0.9]]) == 1  # means 0.6, 0.8, 0.75
    assert best_layer([[0.5, None], [0.5, None]]) == 0  # ties: the lowest layer
    assert best_layer([[None, None], [None, None]]) is None  # no validation rows

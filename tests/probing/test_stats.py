"""Intervals over subsamples and the paired bootstrap: hand values, planted effects found,
null effects not found, and agreement with McNemar's exact test for one subsample."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from forgetlab.probing.stats import mean_interval, paired_test


def test_mean_interval_by_hand():
    mean, lo, hi = mean_interval(np.array([0.6, 0.7, 0.8]))
    # sd 0.1, t(0.975, 2) = 4.3027: half-width 4.3027 * 0.1 / sqrt(3) = 0.24842
    assert mean == pytest.approx(0.7)
    assert lo == pytest.approx(0.7 - 0.24842, abs=1e-5) and hi == pytest.approx(0.94842, abs=1e-5)
    assert mean_interval(np.array([0.5, 0.5, 0.5])) == (0.5, 0.5, 0.5)
    assert mean_interval(np.array([0.4])) is None  # one subsample: no interval
    assert mean_interval(np.array([0.99, 1.0, 1.0]))[2] == 1.0  # clipped to accuracies


def test_a_planted_difference_is_found_and_its_size_recovered():
    rng = np.random.default_rng(0)
    N, K = 300, 8
    b = rng.random((K, N)) < 0.60
    a = rng.random((K, N)) < 0.75  # 15 points better
    test = paired_test(a, b, np.random.default_rng(1))
    assert test.diff == pytest.approx(a.mean() - b.mean())
    assert test.p < 0.001 and test.low > 0.05 and test.low < test.diff < test.high


def test_identical_classifiers_differ_by_nothing():
    hits = np.random.default_rng(0).random((5, 100)) < 0.7
    test = paired_test(hits, hits, np.random.default_rng(0))
    assert test.diff == 0 and test.low == 0 and test.high == 0 and test.p == 1.0


def test_null_differences_are_rejected_at_about_the_nominal_rate():
    """Two classifiers of the same accuracy: p < 0.05 in about 5% of 200 replications."""
    rng = np.random.default_rng(2)
    rejected = 0
    for _ in range(200):
        a = rng.random((4, 120)) < 0.7
        b = rng.random((4, 120)) < 0.7
        rejected += paired_test(a, b, rng, draws=400).p < 0.05
    assert 2 <= rejected <= 20


def test_one_subsample_agrees_with_mcnemars_exact_test():
    """K = 1 against the model's own hits: the paired bootstrap is McNemar's question; on
    40 vs 20 discordant pairs both give p near 0.013."""
    a = np.array([1] * 40 + [0] * 20 + [1] * 100 + [0] * 40, dtype=bool)
    b = np.array([0] * 40 + [1] * 20 + [1] * 100 + [0] * 40, dtype=bool)
    exact = binomtest(40, 60, 0.5).pvalue
    boot = paired_test(a[None], b, np.random.default_rng(0), draws=20000)
    assert boot.diff == pytest.approx(20 / 200)
    assert exact == pytest.approx(0.0135, abs=1e-3)
    assert boot.p == pytest.approx(exact, abs=0.006)


def test_subsample_variation_widens_the_interval():
    """Probes whose accuracy differs across subsamples: resampling the subsamples too gives
    a wider interval than resampling test examples alone (the same hits averaged first)."""
    rng = np.random.default_rng(3)
    N = 200
    b = rng.random(N) < 0.5
    shaky = np.array([rng.random(N) < p for p in (0.45, 0.75, 0.5, 0.7, 0.55, 0.65)])
    both = paired_test(shaky, b, np.random.default_rng(4))
    examples_only = paired_test(shaky.mean(0)[None], b, np.random.default_rng(4))
    assert both.diff == pytest.approx(examples_only.diff)
    assert both.high - both.low > 1.3 * (examples_only.high - examples_only.low)

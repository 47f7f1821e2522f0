"""The aggregation: Welch t-test against its formula and scipy, AUCs by hand, planted effects
found, null effects not, and the false-positive rate of many random splits near alpha."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forgetlab.errors import DataError
from forgetlab.inference.aggregate import (
    combine_p,
    dataset_inference,
    feature_aucs,
    resolve_sizes,
    split_halves,
    split_p_values,
    welch_p,
)


def table(rng, n: int, shift: float = 0.0, features: int = 12) -> pd.DataFrame:
    """Gaussian features; the first three shifted by `shift` (a weak planted effect each)."""
    x = rng.standard_normal((n, features))
    x[:, :3] += shift
    return pd.DataFrame(x, columns=[f"f{i}" for i in range(features)])


def test_welch_p_matches_the_formula_and_scipy():
    a = np.array([3.1, 2.4, 5.0, 4.2, 3.3, 4.8])
    b = np.array([2.0, 1.1, 2.9, 3.5, 0.7])
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    t = (a.mean() - b.mean()) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))  # Welch-Satterthwaite
    assert welch_p(a, b) == pytest.approx(stats.t.sf(t, df), rel=1e-10)
    ref = stats.ttest_ind(a, b, equal_var=False, alternative="greater").pvalue
    assert welch_p(a, b) == pytest.approx(ref, rel=1e-12)
    assert welch_p(b, a) == pytest.approx(1 - ref, rel=1e-9)  # one-sided: direction matters


def test_combine_p_is_twice_the_median_capped():
    assert combine_p([0.01, 0.02, 0.5]) == pytest.approx(0.04)
    assert combine_p([0.3, 0.6, 0.9, 0.8]) == 1.0


def test_feature_auc_by_hand():
    s = pd.DataFrame({"f": [3.0, 1.0, 4.0]})
    v = pd.DataFrame({"f": [2.0, 0.0]})
    # pairs (suspect > validation): 3>2, 3>0, 1>0, 4>2, 4>0 -> 5 of 6
    assert feature_aucs(s, v, ["f"])["f"] == pytest.approx(5 / 6)


def test_planted_effect_is_found_and_null_is_not():
    rng = np.random.default_rng(0)
    found = dataset_inference(table(rng, 400, 0.4), table(rng, 400), sizes=[50, 200], seed=0)
    null = dataset_inference(table(rng, 400), table(rng, 400), sizes=[50, 200], seed=0)
    assert found["verdict"]["trained"] and found["sizes"][-1]["p_value"] < 1e-6
    assert not null["verdict"]["trained"] and null["sizes"][-1]["p_value"] > 0.05
    assert found["sizes"][-1]["p_value"] < found["sizes"][0]["p_value"]  # more data, less p
    # single features are weak (AUC about 0.61 for a 0.4 sd shift) and null ones near 0.5
    assert 0.55 < found["auc"]["f0"] < 0.68 and abs(found["auc"]["f5"] - 0.5) < 0.07
    assert min(found["weights"][f] for f in ("f0", "f1", "f2")) > max(
        abs(found["weights"][f"f{i}"]) for i in range(3, 12)
    )


def test_results_are_reproducible_and_seeded():
    rng = np.random.default_rng(1)
    s, v = table(rng, 100, 0.2), table(rng, 100)
    a = dataset_inference(s, v, sizes=[20, 50], splits=4, seed=3)
    b = dataset_inference(s, v, sizes=[20, 50], splits=4, seed=3)
    c = dataset_inference(s, v, sizes=[20, 50], splits=4, seed=4)
    assert a == b
    assert a["sizes"][0]["split_p_values"] != c["sizes"][0]["split_p_values"]


def test_false_positive_rate_of_random_splits_is_near_alpha():
    """400 independent null experiments, 25 examples per set in each test: the rate of
    p < 0.05 of single splits must be near 0.05 (binomial sd 0.011; seeds fixed, so the
    result is deterministic), the p-values about uniform, and the verdict from the combined
    2 x median p-value of 5 splits conservative."""
    rng = np.random.default_rng(7)
    single = [
        split_p_values(rng.standard_normal((50, 12)), rng.standard_normal((50, 12)), [25], 1, seed)[
            0
        ][0, 0]
        for seed in range(400)
    ]
    rate = np.mean(np.array(single) < 0.05)
    assert 0.025 <= rate <= 0.08, rate
    assert stats.kstest(single, "uniform").pvalue > 0.01
    combined = [
        combine_p(
            split_p_values(
                rng.standard_normal((60, 12)), rng.standard_normal((60, 12)), [25], 5, seed
            )[0][:, 0]
        )
        for seed in range(100)
    ]
    assert np.mean(np.array(combined) < 0.05) <= 0.05


def test_sizes_checks():
    assert resolve_sizes(None, 1000, 45) == [10, 20]
    assert resolve_sizes([50, 10, 50], 100, 100) == [10, 50]
    with pytest.raises(DataError, match="too few examples: 15 suspect"):
        resolve_sizes(None, 15, 100)
    with pytest.raises(DataError, match="sample size 60: .* needs 120 of each"):
        resolve_sizes([10, 60], 100, 100)
    with pytest.raises(DataError, match="at least 2"):
        resolve_sizes([1], 100, 100)


def test_constant_and_infinite_features_are_dropped():
    rng = np.random.default_rng(2)
    s, v = table(rng, 40), table(rng, 40)
    s["const"], v["const"] = 1.0, 1.0
    s["inf"], v["inf"] = 0.0, np.r_[np.inf, np.zeros(39)]
    res = dataset_inference(s, v, sizes=[10], splits=2)
    assert res["dropped_features"] == ["const", "inf"] and "const" not in res["auc"]


def test_split_halves_are_disjoint_halves():
    t = pd.DataFrame({"x": range(11)})
    a, b = split_halves(t, seed=0)
    assert len(a) == len(b) == 5 and not set(a.x) & set(b.x)

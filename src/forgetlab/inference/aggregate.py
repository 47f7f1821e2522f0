"""Dataset inference: many weak membership features, one linear model, one t-test.

    out = dataset_inference(suspect_table, validation_table, sizes=(10, 50), splits=10, seed=0)
    out["verdict"]["trained"], out["sizes"][-1]["p_value"], out["auc"]["loss"]

Maini et al. (2024): single membership attacks are near chance on IID data, but together they
separate a trained-on set from held-out data of the same distribution. At sample size n, each
random split draws 2n examples of each set: on the first n of each, every feature is clipped
to its 2.5-97.5% quantiles and standardised (statistics of these fitting examples only) and a
logistic regression learns to tell suspect (1) from validation (0); it then scores the other
n of each set, and a one-sided Welch t-test asks whether suspect scores are higher. Splits
are repeated with generators derived from `seed`; their p-values are combined as
min(1, 2 x median), which stays a valid p-value however the splits depend on each other
(Meinshausen, Meier and Buehlmann 2009, quantile aggregation with gamma = 1/2). The verdict
uses the largest size. Per-feature ROC AUCs (suspect = positive) show single attacks alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from forgetlab.errors import DataError

DEFAULT_SIZES: tuple[int, ...] = (10, 20, 50, 100, 200, 500)
CLIP = (0.025, 0.975)  # the paper's 5% outlier clipping


def welch_p(suspect_scores: np.ndarray, validation_scores: np.ndarray) -> float:
    """One-sided Welch t-test p-value of H1: mean suspect score > mean validation score."""
    from scipy.stats import ttest_ind

    res = ttest_ind(suspect_scores, validation_scores, equal_var=False, alternative="greater")
    return float(res.pvalue) if np.isfinite(res.pvalue) else 1.0


def combine_p(p_values: Sequence[float]) -> float:
    """min(1, 2 x median): a valid p-value from dependent p-values of repeated splits."""
    return float(min(1.0, 2.0 * float(np.median(p_values))))


def fit_and_score(
    fit_s: np.ndarray, fit_v: np.ndarray, test_s: np.ndarray, test_v: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clip, standardise and fit on (fit_s, fit_v); return the test scores of each set and
    the model's weights (one per feature, on standardised features)."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([fit_s, fit_v])
    y = np.r_[np.ones(len(fit_s)), np.zeros(len(fit_v))]
    lo, hi = np.quantile(x, CLIP, axis=0)
    xc = np.clip(x, lo, hi)
    mean, std = xc.mean(0), xc.std(0)
    std[std == 0] = 1.0

    def prepare(a: np.ndarray) -> np.ndarray:
        return (np.clip(a, lo, hi) - mean) / std

    model = LogisticRegression(max_iter=2000).fit(prepare(x), y)
    scores = model.decision_function
    return scores(prepare(test_s)), scores(prepare(test_v)), model.coef_[0]


def resolve_sizes(sizes: Sequence[int] | None, n_suspect: int, n_validation: int) -> list[int]:
    """The sample sizes to test: each needs 2 x size examples of each set. Defaults are cut to
    what fits; sizes asked for explicitly must all fit."""
    limit = min(n_suspect, n_validation) // 2
    have = f"{n_suspect} suspect and {n_validation} validation examples"
    if sizes is None:
        fitting = [n for n in DEFAULT_SIZES if n <= limit]
        if not fitting:
            raise DataError(
                f"too few examples: {have}; the smallest sample size, {DEFAULT_SIZES[0]}, "
                f"needs {2 * DEFAULT_SIZES[0]} of each"
            )
        return fitting
    sizes = sorted(set(int(n) for n in sizes))
    if not sizes or sizes[0] < 2:
        raise DataError(f"sizes: each sample size must be at least 2, got {sizes}")
    if sizes[-1] > limit:
        raise DataError(
            f"too few examples for sample size {sizes[-1]}: {have}, it needs "
            f"{2 * sizes[-1]} of each"
        )
    return sizes


def check_settings(splits: int, alpha: float) -> None:
    if splits < 1:
        raise DataError(f"splits must be at least 1, got {splits}")
    if not 0 < alpha < 1:
        raise DataError(f"alpha must be between 0 and 1, got {alpha}")


def usable_features(suspect, validation) -> tuple[list[str], list[str]]:
    """(kept, dropped): features that are finite everywhere and not constant."""
    kept, dropped = [], []
    for col in suspect.columns:
        both = np.r_[suspect[col].to_numpy(float), validation[col].to_numpy(float)]
        ok = np.isfinite(both).all() and np.ptp(both) > 0
        (kept if ok else dropped).append(col)
    return kept, dropped


def feature_aucs(suspect, validation, features: Sequence[str]) -> dict[str, float]:
    """ROC AUC of each feature alone (suspect = positive; 0.5 = chance, < 0.5 = lower on
    suspect, e.g. the loss of trained-on data)."""
    from sklearn.metrics import roc_auc_score

    y = np.r_[np.ones(len(suspect)), np.zeros(len(validation))]
    return {
        f: float(roc_auc_score(y, np.r_[suspect[f].to_numpy(float), validation[f].to_numpy(float)]))
        for f in features
    }


def split_p_values(
    s: np.ndarray, v: np.ndarray, sizes: Sequence[int], splits: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(splits, len(sizes)) p-values and (splits, features) weights at the largest size."""
    p = np.ones((splits, len(sizes)))
    weights = np.zeros((splits, s.shape[1]))
    with threadpool_limits(1):  # hundreds of tiny fits: BLAS threads only add overhead
        for k, child in enumerate(np.random.SeedSequence(seed).spawn(splits)):
            rng = np.random.default_rng(child)
            perm_s, perm_v = rng.permutation(len(s)), rng.permutation(len(v))
            for j, n in enumerate(sizes):
                fs, ts = s[perm_s[:n]], s[perm_s[n : 2 * n]]
                fv, tv = v[perm_v[:n]], v[perm_v[n : 2 * n]]
                score_s, score_v, weights[k] = fit_and_score(fs, fv, ts, tv)
                p[k, j] = welch_p(score_s, score_v)
    return p, weights


def dataset_inference(
    suspect,
    validation,
    *,
    sizes: Sequence[int] | None = None,
    splits: int = 10,
    seed: int = 0,
    alpha: float = 0.05,
) -> dict:
    """The test on two feature tables (pandas DataFrames, one row per example, same columns).
    Returns a JSON-able dict: verdict, per-size p-values (combined and per split), AUCs."""
    check_settings(splits, alpha)
    sizes = resolve_sizes(sizes, len(suspect), len(validation))
    features, dropped = usable_features(suspect, validation)
    if not features:
        raise DataError("no usable feature: every feature is constant or not finite")
    s, v = suspect[features].to_numpy(float), validation[features].to_numpy(float)
    p, weights = split_p_values(s, v, sizes, splits, seed)
    rows = [
        {
            "size": n,
            "p_value": combine_p(p[:, j]),
            "median_p": float(np.median(p[:, j])),
            "share_significant": float(np.mean(p[:, j] < alpha)),
            "split_p_values": [float(x) for x in p[:, j]],
        }
        for j, n in enumerate(sizes)
    ]
    final = rows[-1]
    return {
        "verdict": {
            "trained": bool(final["p_value"] < alpha),
            "p_value": final["p_value"],
            "size": final["size"],
            "alpha": alpha,
        },
        "sizes": rows,
        "splits": splits,
        "seed": seed,
        "n_suspect": len(suspect),
        "n_validation": len(validation),
        "features": features,
        "dropped_features": dropped,
        "auc": feature_aucs(suspect, validation, features),
        "weights": dict(zip(features, weights.mean(0).tolist())),
    }


def split_halves(table, seed: int):
    """Two random halves of one table (false-positive mode: never-seen data against itself)."""
    perm = np.random.default_rng(np.random.SeedSequence([seed, 1])).permutation(len(table))
    half = len(table) // 2
    first = table.iloc[np.sort(perm[:half])].reset_index(drop=True)
    second = table.iloc[np.sort(perm[half : 2 * half])].reset_index(drop=True)
    return first, second

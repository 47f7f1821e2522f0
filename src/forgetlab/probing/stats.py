"""Intervals and paired tests for probe accuracies.

    mean_interval(acc_per_subsample)            # (mean, low, high): t interval over subsamples
    paired_test(hits_P, hits_P0, rng)           # PairedTest(diff, low, high, p)

`paired_test` compares two classifiers scored on the same test examples: `a` holds the
0/1 hits of K probes (one per training subsample) on N examples, `b` the same shape (the
baseline's probes, fit on the same subsamples) or (N,) (the model's own predictions). It
resamples test examples and subsamples together (a two-level paired bootstrap), so the
interval and the p-value cover both which examples were tested and which examples the
probes were fit on; with K = 1 it is the usual paired bootstrap, close to McNemar's test.
The p-value is two-sided, from the bootstrap distribution shifted to the null
(Efron & Tibshirani 1993, section 16.4), at least 1 / (draws + 1).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

LEVEL = 0.95
DRAWS = 1000


def mean_interval(values: np.ndarray, level: float = LEVEL) -> tuple[float, float, float] | None:
    """(mean, low, high): Student-t interval of the mean of `values` (one per subsample);
    low = high = mean when they are all equal; None for fewer than two values."""
    from scipy.special import stdtrit  # Student-t quantile (lighter than scipy.stats)

    v = np.asarray(values, dtype=float)
    if v.size < 2:
        return None
    mean = float(v.mean())
    half = float(stdtrit(v.size - 1, 0.5 + level / 2) * v.std(ddof=1) / np.sqrt(v.size))
    return mean, max(mean - half, 0.0), min(mean + half, 1.0)


def _counts(rng: np.random.Generator, n: int, draws: int) -> np.ndarray:
    """(draws, n) resampling counts: each row counts n draws with replacement from n."""
    picks = rng.integers(0, n, size=(draws, n)) + n * np.arange(draws)[:, None]
    return np.bincount(picks.ravel(), minlength=draws * n).reshape(draws, n).astype(float)


@dataclass(frozen=True)
class PairedTest:
    diff: float  # mean accuracy of a minus b
    low: float  # bootstrap percentile interval of the difference
    high: float
    p: float  # two-sided p-value for "no difference"

    def as_dict(self) -> dict:
        return asdict(self)


def paired_test(
    a: np.ndarray,
    b: np.ndarray,
    rng: np.random.Generator,
    draws: int = DRAWS,
    level: float = LEVEL,
) -> PairedTest:
    """Paired bootstrap of mean(a) - mean(b) over test examples (columns) and subsamples
    (rows of a, and of b when it has them); see the module docstring."""
    a = np.atleast_2d(np.asarray(a, dtype=float))
    D = a - np.asarray(b, dtype=float)  # (K, N), b broadcast when it is (N,)
    K, N = D.shape
    diff = float(D.mean())
    rows = _counts(rng, K, draws)  # (draws, K): how often each subsample was drawn
    cols = _counts(rng, N, draws)  # (draws, N): how often each test example was drawn
    boot = ((rows @ D) * cols).sum(1) / (K * N)
    lo, hi = np.quantile(boot, [0.5 - level / 2, 0.5 + level / 2])
    extreme = np.abs(boot - diff) >= abs(diff) - 1e-12
    p = float((1 + extreme.sum()) / (draws + 1))
    return PairedTest(diff, float(lo), float(hi), min(p, 1.0))

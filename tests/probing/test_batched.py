"""Batched probes (every layer and subsample at once, in torch) against one scikit-learn fit
per (layer, subsample), and the batched L-BFGS against known minimisers. Probes on
standardized features are compared with scikit-learn on the same standardization: a
StandardScaler fit on the pool (all rows of the feature set), as the batched fit does."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from forgetlab.probing import linear
from forgetlab.probing.batched import ProbeData, standardize
from forgetlab.probing.lbfgs import lbfgs
from forgetlab.probing.probes import build_probe, probe_kinds
from forgetlab.probing.ridge import ALPHA

KINDS = ["linear", "ridge", "prototype", "cosine_prototype"]


def planted_sets(k: int, n_per_class: int, n_sets: int, seed: int):
    """`n_sets` feature sets of the same rows (like layers): class c ~ N(delta e_c, I) in 12
    dims with a per-set signal strength and offset, plus a feature constant everywhere and
    one tiny (1e-30) but varying feature, as real mean-pooled features have."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(k), n_per_class)
    sets = []
    for g in range(n_sets):
        X = rng.normal(size=(len(y), 12))
        X[np.arange(len(y)), y] += 1.0 + g
        X = X * rng.uniform(0.5, 3.0, size=12) + rng.normal(0, 5, size=12)
        X = np.hstack([X, np.full((len(y), 1), 7.0), rng.normal(size=(len(y), 1)) * 1e-30])
        sets.append(X)
    return np.stack(sets).astype(np.float32), y


def subsample_masks(y: np.ndarray, n_fit: int, S: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    w = np.zeros((S, len(y)), dtype=bool)
    for s in range(S):
        for c in np.unique(y):
            w[s, rng.choice(np.flatnonzero(y == c), n_fit, replace=False)] = True
    return w


@pytest.mark.parametrize("k", [2, 4])
@pytest.mark.parametrize("kind", KINDS)
def test_batched_probes_equal_one_sklearn_fit_per_layer_and_subsample(kind, k):
    X_all, y_all = planted_sets(k, 70, n_sets=2, seed=k)
    first = np.arange(len(y_all)) % 70 < 30  # 30 training rows per class, 40 test rows
    X, y, Xq, yq = X_all[:, first], y_all[first], X_all[:, ~first], y_all[~first]
    w = subsample_masks(y, 18, S=3, seed=0)
    labels = 10 * y + 3  # global class ids: the batched fit sees indices 0..k-1
    data = ProbeData(torch.from_numpy(X), torch.from_numpy(y), torch.from_numpy(w).float(), k)
    predict = (  # linear: both solvers stop on the gradient; converge tightly to compare
        linear.fit_logistic(data, tol=1e-6)
        if kind == "linear"
        else probe_kinds.get(kind).fit_batched(data)
    )
    batched = predict(torch.from_numpy(Xq)).numpy()  # (G, S, M)
    assert batched.shape == (2, 3, len(yq))
    for g in range(2):
        for s in range(3):
            reference = sklearn_fit(kind, X[g], w[s], labels).predict(Xq[g])
            agree = (10 * batched[g, s] + 3 == reference).mean()
            acc_batched = (batched[g, s] == yq).mean()
            acc_reference = (reference == 10 * yq + 3).mean()
            if kind == "linear":  # two optimisers: the same optimum within tolerance
                assert agree >= 0.99 and abs(acc_batched - acc_reference) <= 0.01, (g, s)
            else:  # closed forms: identical predictions
                assert agree == 1.0, (kind, g, s)
            assert acc_batched > 1.0 / k + 0.15  # the planted classes are found


def sklearn_fit(kind: str, X_pool: np.ndarray, rows: np.ndarray, labels: np.ndarray):
    """The single probe scikit-learn fits on `rows` of the pool: the `prototype` kinds as
    `build_probe` does; `linear` and `ridge` on features standardized on the whole pool
    (StandardScaler fit on every pool row), the linear one converged to a gradient of 1e-6
    (the batched fit is too, above)."""
    if kind not in ("linear", "ridge"):
        return build_probe(kind).fit(X_pool[rows], labels[rows])
    from sklearn.linear_model import LogisticRegression, RidgeClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = (
        LogisticRegression(C=linear.C, max_iter=2000, tol=1e-6)
        if kind == "linear"
        else RidgeClassifier(alpha=ALPHA, solver="cholesky")
    )
    X64 = X_pool.astype(np.float64)
    scaler = StandardScaler().fit(X64)
    pipeline = make_pipeline(scaler, model)
    model.fit(scaler.transform(X64[rows]), labels[rows])
    return pipeline


def test_a_class_missing_from_a_subsample_is_never_predicted():
    X, y = planted_sets(3, 20, n_sets=1, seed=0)
    w = subsample_masks(y, 10, S=2, seed=1)
    w[1, y == 2] = False  # subsample 1 never saw class 2
    data = ProbeData(torch.from_numpy(X), torch.from_numpy(y), torch.from_numpy(w).float(), 3)
    for kind in KINDS:
        pred = probe_kinds.get(kind).fit_batched(data)(torch.from_numpy(X)).numpy()
        assert (pred[0, 0] == 2).any() and not (pred[0, 1] == 2).any(), kind
        reference = sklearn_fit(kind, X[0], w[1], y).predict(X[0])
        if kind != "linear":
            assert (pred[0, 1] == reference).all(), kind


def test_standardize_is_sklearns_scaler_on_the_pool():
    from sklearn.preprocessing import StandardScaler

    X, y = planted_sets(2, 25, n_sets=2, seed=3)
    w = subsample_masks(y, 15, S=2, seed=4)
    data = ProbeData(torch.from_numpy(X), torch.from_numpy(y), torch.from_numpy(w).float(), 2)
    scaled, transform = standardize(data)
    for g in range(2):
        ref = StandardScaler().fit(X[g].astype(np.float64))
        want = ref.transform(X[g].astype(np.float64))
        np.testing.assert_allclose(scaled.X[g].numpy(), want, rtol=1e-5, atol=1e-5)
        assert ref.scale_[12] == 1.0 and ref.scale_[13] < 1e-28  # constant; tiny but varying
    np.testing.assert_allclose(transform(data.X).numpy(), scaled.X.numpy())


def test_lbfgs_finds_each_problems_minimum():
    """Independent quadratics 0.5 (x - m)' A_b (x - m) with very different curvatures and
    dimensions coupled within a problem: each converges to its own m."""
    rng = np.random.default_rng(0)
    B, D = 6, 5
    Q = [np.linalg.qr(rng.normal(size=(D, D)))[0] for _ in range(B)]
    A = torch.tensor(
        np.stack([q @ np.diag(rng.uniform(0.1, 10.0, D) * 10.0**b) @ q.T for b, q in enumerate(Q)])
    )
    m = torch.tensor(rng.normal(size=(B, D)))

    def fun(x, idx):
        r = x - m[idx]
        Ar = torch.einsum("bij,bj->bi", A[idx], r)
        return 0.5 * (r * Ar).sum(1), Ar

    x, iters = lbfgs(fun, torch.zeros(B, D, dtype=torch.float64), tol=1e-10, max_iter=500)
    np.testing.assert_allclose(x.numpy(), m.numpy(), atol=1e-7)
    assert (iters > 0).all() and (iters < 500).all()


def test_lbfgs_minimises_a_logistic_loss_like_scipy():
    """One binary logistic regression: the batched solver's optimum equals scipy's."""
    from scipy.optimize import minimize

    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 4))
    y = (X @ [1.0, -2.0, 0.5, 0.0] + rng.normal(size=80) > 0).astype(float)

    def loss(w):
        z = X @ w
        grad = X.T @ (1 / (1 + np.exp(-z)) - y) / 80 + 0.1 * w
        return np.mean(np.logaddexp(0, z) - y * z) + 0.05 * w @ w, grad

    def fun(x, idx):
        xt = torch.tensor(X)
        z = xt @ x[0]
        f = torch.mean(torch.nn.functional.softplus(z) - torch.tensor(y) * z) + 0.05 * x[0] @ x[0]
        g = xt.T @ (torch.sigmoid(z) - torch.tensor(y)) / 80 + 0.1 * x[0]
        return f[None], g[None]

    ref = minimize(
        loss, np.zeros(4), jac=True, method="L-BFGS-B", options={"gtol": 1e-12, "ftol": 1e-15}
    ).x
    x, _ = lbfgs(fun, torch.zeros(1, 4, dtype=torch.float64), tol=1e-9)
    np.testing.assert_allclose(x[0].numpy(), ref, atol=1e-7)


def test_fits_use_one_thread_only_on_a_busy_machine(monkeypatch):
    import os

    from forgetlab.probing import batched

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        monkeypatch.setattr(os, "getloadavg", lambda: (64.0, 64.0, 64.0))
        with batched.fit_threads():
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2  # restored
        monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
        with batched.fit_threads():
            assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)

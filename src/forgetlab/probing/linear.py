"""`linear` probe: multinomial logistic regression on standardized features (L-BFGS).

    build_probe("linear").fit(X, y).predict(X_test)              # one probe (scikit-learn)
    LinearProbe.fit_batched(ProbeData(X, y, w, C))(X_test)       # every layer and subsample

The batched fit solves, for every (feature set, subsample), scikit-learn's problem: mean
cross-entropy + ||W||^2 / (2 C n) on the subsample's training rows (features standardized
on the pool), with an unpenalized intercept; two classes use its binomial form (one weight
vector). Every problem shares its feature set's matrix, so each function evaluation is one
matmul per feature set over all subsamples' weights (`lbfgs`).
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from forgetlab.probing.batched import (
    Predictor,
    ProbeData,
    linear_scores,
    masked_argmax,
    standardize,
)
from forgetlab.probing.lbfgs import lbfgs
from forgetlab.probing.probes import Probe, probe_kinds

C = 1.0  # inverse L2 strength on standardized features (sklearn's default)
MAX_ITER = 300  # L-BFGS iterations; few hundred examples converge well before
TOL = 1e-4  # largest gradient entry at convergence (sklearn's default `tol`)


@probe_kinds.register("linear", help="multinomial logistic regression (L-BFGS), standardized")
class LinearProbe(Probe):
    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        self.model_ = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=MAX_ITER))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model_.fit(X, y)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict(X)

    @classmethod
    def fit_batched(cls, data: ProbeData) -> Predictor:
        return fit_logistic(data)


def free_classes(present: torch.Tensor) -> torch.Tensor:
    """(S, C) classes with their own weights: the present ones, except that a subsample
    with exactly two keeps its first at zero (the binomial model scikit-learn fits)."""
    free = present.clone()
    binary = present.sum(1) == 2
    first = present.float().argmax(1)
    free[binary, first[binary]] = False
    return free


def fit_logistic(
    data: ProbeData, c: float = C, tol: float = TOL, max_iter: int = MAX_ITER
) -> Predictor:
    """Fit every (feature set, subsample) problem of `data`; returns the predictor."""
    data, transform = standardize(data)
    X, w, Y = data.X, data.w, data.onehot()  # (G, N, H), (S, N), (N, K)
    G, N, H = X.shape
    S, K = w.shape[0], data.n_classes
    present = data.present()  # (S, K)
    free = free_classes(present).to(X.dtype)  # (S, K)
    n = data.counts.clamp_min(1.0)  # (S,)
    row_w = w / n[:, None]  # (S, N): each row's weight in each subsample's mean loss
    layer_of = torch.arange(G * S) // S
    sub_of = torch.arange(G * S) % S

    def by_layer(idx: torch.Tensor) -> list[tuple[int, torch.Tensor]]:
        """(feature set, positions in idx) of the problems `idx`, grouped by feature set."""
        g = layer_of[idx]
        return [(int(k), (g == k).nonzero().squeeze(1)) for k in torch.unique(g)]

    def fun(theta: torch.Tensor, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean cross-entropy + penalty of problems `idx`, and its gradient."""
        theta = theta.view(-1, H + 1, K)
        W, b = theta[:, :H], theta[:, H]  # (b, H, K), (b, K)
        s = sub_of[idx]
        z = torch.empty(len(idx), N, K, dtype=X.dtype)
        for g, pos in by_layer(idx):  # one matmul per feature set over all of its models
            cols = W[pos].permute(1, 0, 2).reshape(H, -1)  # (H, b_g * K)
            z[pos] = (X[g] @ cols).view(N, len(pos), K).transpose(0, 1)
        absent = ~present[s][:, None, :]  # (b, 1, K): classes without training rows
        z = (z + b[:, None]).masked_fill(absent, float("-inf"))
        lse = torch.logsumexp(z, -1, keepdim=True)
        zy = (z.masked_fill(absent, 0.0) * Y).sum(-1, keepdim=True)
        rw = row_w[s][:, :, None]  # (b, N, 1)
        loss = ((lse - zy) * rw).sum((1, 2)) + (W * W).sum((1, 2)) / (2 * c * n[s])
        R = (torch.exp(z - lse) - Y) * rw  # d loss / d logits, (b, N, K)
        gW = torch.empty(len(idx), H, K, dtype=X.dtype)
        for g, pos in by_layer(idx):
            Rg = R[pos].transpose(0, 1).reshape(N, -1)  # (N, b_g * K)
            gW[pos] = (X[g].T @ Rg).view(H, len(pos), K).transpose(0, 1)
        gW += W / (c * n[s])[:, None, None]
        grad = torch.cat([gW, R.sum(1)[:, None, :]], 1) * free[s][:, None, :]
        return loss, grad.reshape(len(idx), -1)

    theta0 = torch.zeros(G * S, (H + 1) * K, dtype=X.dtype)
    theta, _ = lbfgs(fun, theta0, max_iter=max_iter, tol=tol)
    theta = theta.view(G, S, H + 1, K)
    scores = linear_scores(theta[:, :, :H], theta[:, :, H])
    return lambda Xq: masked_argmax(scores(transform(Xq)), present)

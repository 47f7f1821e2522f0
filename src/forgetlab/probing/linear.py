"""`linear` probe: multinomial logistic regression on standardized features (L-BFGS).

    build_probe("linear").fit(X, y).predict(X_test)              # one probe (scikit-learn)
    LinearProbe.fit_batched(ProbeData(X, y, w, C))(X_test)       # every layer and subsample

The batched fit solves, for every (feature set, subsample), scikit-learn's problem: mean
cross-entropy + ||W||^2 / (2 C n) on the subsample's standardized training rows, with an
unpenalized intercept; two classes use its binomial form (one weight vector).
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from forgetlab.probing.batched import (
    Predictor,
    ProbeData,
    masked_argmax,
    prestandardize,
    standardizer,
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
    data, transform = prestandardize(data)
    X, w, Y = data.X, data.w, data.onehot()  # (G, N, H), (S, N), (N, K)
    G, N, H = X.shape
    S, K = w.shape[0], data.n_classes
    mean, scale = (a.to(X.dtype) for a in standardizer(data))  # (G, S, H)
    mean, inv_scale = mean.reshape(G * S, H), 1.0 / scale.reshape(G * S, H)
    present = (w @ Y) > 0  # (S, K)
    free = free_classes(present).to(X.dtype)  # (S, K)
    n = data.counts.clamp_min(1.0)  # (S,)
    row_w = w / n[:, None]  # (S, N): each row's weight in each subsample's mean loss
    layer_of = torch.arange(G * S) // S
    sub_of = torch.arange(G * S) % S

    def raw(theta: torch.Tensor, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The models of problems `idx` on unscaled features: logits = X @ V + c0."""
        W, b = theta[:, :H], theta[:, H]  # (b, H, K) on standardized features, (b, K)
        V = W * inv_scale[idx, :, None]
        return V, b - torch.einsum("bh,bhk->bk", mean[idx], V)

    def by_layer(idx: torch.Tensor) -> list[tuple[int, torch.Tensor]]:
        """(feature set, positions in idx) of the problems `idx`, grouped by feature set."""
        g = layer_of[idx]
        return [(int(k), (g == k).nonzero().squeeze(1)) for k in torch.unique(g)]

    def logits_of(Xq: torch.Tensor, V: torch.Tensor, c0: torch.Tensor, idx) -> torch.Tensor:
        """(b, M, K) logits of rows Xq (G, M, H) under the models of problems `idx`: one
        matmul per feature set over all of its models."""
        z = torch.empty(len(idx), Xq.shape[1], K, dtype=Xq.dtype)
        for g, pos in by_layer(idx):
            cols = V[pos].permute(1, 0, 2).reshape(H, -1)  # (H, b_g * K)
            z[pos] = (Xq[g] @ cols).view(-1, len(pos), K).transpose(0, 1)
        return z + c0[:, None]

    def fun(theta: torch.Tensor, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean cross-entropy + penalty of problems `idx`, and its gradient."""
        theta = theta.view(-1, H + 1, K)
        V, c0 = raw(theta, idx)
        s = sub_of[idx]
        absent = ~present[s][:, None, :]  # (b, 1, K): classes without training rows
        z = logits_of(X, V, c0, idx).masked_fill(absent, float("-inf"))  # (b, N, K)
        lse = torch.logsumexp(z, -1, keepdim=True)
        zy = (z.masked_fill(absent, 0.0) * Y).sum(-1, keepdim=True)
        rw = row_w[s][:, :, None]  # (b, N, 1)
        W = theta[:, :H]
        loss = ((lse - zy) * rw).sum((1, 2)) + (W * W).sum((1, 2)) / (2 * c * n[s])
        R = (torch.exp(z - lse) - Y) * rw  # d loss / d logits, (b, N, K)
        XtR = torch.empty(len(idx), H, K, dtype=X.dtype)
        for g, pos in by_layer(idx):
            Rg = R[pos].transpose(0, 1).reshape(N, -1)  # (N, b_g * K)
            XtR[pos] = (X[g].T @ Rg).view(H, len(pos), K).transpose(0, 1)
        sumR = R.sum(1)  # (b, K)
        gW = XtR * inv_scale[idx, :, None]
        gW -= (mean[idx] * inv_scale[idx])[:, :, None] * sumR[:, None, :]
        gW += W / (c * n[s])[:, None, None]
        grad = torch.cat([gW, sumR[:, None, :]], 1) * free[s][:, None, :]
        return loss, grad.reshape(len(idx), -1)

    theta0 = torch.zeros(G * S, (H + 1) * K, dtype=X.dtype)
    theta, _ = lbfgs(fun, theta0, max_iter=max_iter, tol=tol)
    everyone = torch.arange(G * S)
    V, c0 = raw(theta.view(-1, H + 1, K), everyone)

    def predict(Xq: torch.Tensor) -> torch.Tensor:
        z = logits_of(transform(Xq), V, c0, everyone).view(G, S, -1, K)
        return masked_argmax(z, present)

    return predict

"""`ridge` probe: least squares onto one-hot class targets with an L2 penalty, solved in
closed form (Cholesky) on standardized features; the prediction is the largest output.

    build_probe("ridge").fit(X, y).predict(X_test)
    RidgeProbe.fit_batched(ProbeData(X, y, w, C))(X_test)

The batched fit solves each subsample's problem in its smaller form: (X'X + aI) W = X'Y with
H x H systems, or W = X'(XX' + aI)^-1 Y with n x n ones when it has fewer rows n than
features H (the same solution).
"""

from __future__ import annotations

import numpy as np
import torch

from forgetlab.probing.batched import (
    Predictor,
    ProbeData,
    masked_argmax,
    prestandardize,
    standardizer,
)
from forgetlab.probing.probes import Probe, probe_kinds

ALPHA = 1.0  # L2 penalty on standardized features


@probe_kinds.register("ridge", help="ridge regression onto one-hot targets, closed form")
class RidgeProbe(Probe):
    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        from sklearn.linear_model import RidgeClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        # RidgeClassifier regresses onto {-1, 1} codes: twice the one-hot targets minus one,
        # so with an intercept it has the same argmax as one-hot ridge.
        self.model_ = make_pipeline(
            StandardScaler(), RidgeClassifier(alpha=ALPHA, solver="cholesky")
        )
        self.model_.fit(X, y)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict(X)

    @classmethod
    def fit_batched(cls, data: ProbeData) -> Predictor:
        return fit_ridge(data)


def training_rows(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(index (S, n_max), mask (S, n_max)): each subsample's training rows, padded."""
    n_max = int(w.sum(1).max())
    order = torch.argsort(-w, dim=1, stable=True)[:, :n_max]  # training rows first
    return order, torch.gather(w, 1, order) > 0


def fit_ridge(data: ProbeData, alpha: float = ALPHA) -> Predictor:
    data, transform = prestandardize(data)
    X, w, Y = data.X, data.w, data.onehot()
    G, N, H = X.shape
    f64 = torch.float64  # standardized features make X'X ~ n: float32 loses the penalty
    S, C = w.shape[0], data.n_classes
    mean, scale = standardizer(data)  # (G, S, H)
    present = (w @ Y) > 0
    idx, mask = training_rows(w)  # (S, n)
    n = idx.shape[1]
    m = mask.to(X.dtype)
    Xf = X[:, idx.reshape(-1)].view(G, S, n, H).to(f64)
    Xf = (Xf - mean[:, :, None]) / scale[:, :, None] * m[None, :, :, None]
    m, Yf = m.to(f64), Y[idx].to(f64)  # (S, n, C)
    y_mean = (Yf * m[..., None]).sum(1) / m.sum(1, keepdim=True)  # (S, C)
    Yc = ((Yf - y_mean[:, None]) * m[..., None])[None].expand(G, S, n, C)
    if n <= H:
        gram = Xf @ Xf.transpose(-1, -2) + alpha * torch.eye(n, dtype=f64)
        W = Xf.transpose(-1, -2) @ torch.cholesky_solve(Yc, torch.linalg.cholesky(gram))
    else:
        gram = Xf.transpose(-1, -2) @ Xf + alpha * torch.eye(H, dtype=f64)
        W = torch.cholesky_solve(Xf.transpose(-1, -2) @ Yc, torch.linalg.cholesky(gram))
    V = (W / scale[..., None]).to(X.dtype)  # (G, S, H, C) on raw features
    c0 = y_mean[None] - torch.einsum("gsh,gshc->gsc", mean, W / scale[..., None])
    c0 = c0.to(X.dtype)
    flat = V.permute(0, 2, 1, 3).reshape(G, H, S * C)

    def predict(Xq: torch.Tensor) -> torch.Tensor:
        scores = torch.matmul(transform(Xq), flat).view(G, -1, S, C) + c0[:, None]
        return masked_argmax(scores.permute(0, 2, 1, 3), present)

    return predict

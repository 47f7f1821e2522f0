"""`ridge` probe: least squares onto one-hot class targets with an L2 penalty, solved in
closed form (Cholesky) on standardized features; the prediction is the largest output.

    build_probe("ridge").fit(X, y).predict(X_test)
    RidgeProbe.fit_batched(ProbeData(X, y, w, C))(X_test)

The batched fit solves every subsample in its dual form W = Xc'(Kc + aI)^-1 Yc, with Kc
the centred Gram matrix of the subsample's rows, taken from one Gram matrix of the whole
pool per feature set (the same solution as the primal (Xc'Xc + aI) W = Xc'Yc); pools with
more rows than features use the primal, one H x H system per subsample.
"""

from __future__ import annotations

import numpy as np
import torch

from forgetlab.probing.batched import (
    Predictor,
    ProbeData,
    linear_scores,
    masked_argmax,
    standardize,
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
    data, transform = standardize(data)
    X, Y = data.X, data.onehot()  # (G, N, H) standardized, (N, C)
    G, N, H = X.shape
    S, C = data.w.shape[0], data.n_classes
    idx, mask = training_rows(data.w)  # (S, n)
    n = idx.shape[1]
    f64 = torch.float64  # the systems: float32 would lose the penalty against X'X ~ n
    if n <= H:
        # dual with an unpenalized intercept b: (K + aI) A + 1 b = Y, 1'A = 0, where K is
        # the Gram matrix of the subsample's rows (taken from one of the whole pool)
        K = (X @ X.transpose(1, 2))[:, idx[:, :, None], idx[:, None, :]].to(f64)  # (G,S,n,n)
        pad = ~mask
        if bool(pad.any()):  # padded rows: decoupled (identity), zero targets
            K = K.masked_fill(pad[None, :, :, None] | pad[None, :, None, :], 0.0)
        K.diagonal(dim1=-2, dim2=-1).add_(alpha)
        rhs = torch.cat([Y[idx], torch.ones(S, n, 1)], -1).to(f64) * mask[..., None]
        sol = torch.cholesky_solve(rhs[None].expand(G, S, n, C + 1), torch.linalg.cholesky(K))
        AY, A1 = sol[..., :C], sol[..., C:]  # (K + aI)^-1 Y and (K + aI)^-1 1
        b = AY.sum(2) / A1.sum(2)  # (G, S, C): makes 1'A = 0
        A = AY - A1 * b[:, :, None, :]
        dual = torch.zeros(G, S, N, C, dtype=f64)  # A scattered onto the pool's rows
        dual.scatter_add_(2, idx[None, :, :, None].expand(G, S, n, C), A * mask[..., None])
        flat = dual.to(X.dtype).permute(0, 2, 1, 3).reshape(G, N, S * C)
        W = (X.transpose(1, 2) @ flat).view(G, H, S, C).permute(0, 2, 1, 3)  # X_fit' A
    else:  # more rows than features: the primal, centred, one H x H system each
        m = mask.to(f64)
        Xf = X[:, idx.reshape(-1)].view(G, S, n, H).to(f64)
        x_mean = (Xf * m[None, :, :, None]).sum(2) / m.sum(1)[None, :, None]
        Xc = (Xf - x_mean[:, :, None]) * m[None, :, :, None]
        y_mean = (Y[idx].to(f64) * m[..., None]).sum(1) / m.sum(1, keepdim=True)
        Yc = (Y[idx].to(f64) - y_mean[:, None]) * m[..., None]
        gram = Xc.transpose(-1, -2) @ Xc + alpha * torch.eye(H, dtype=f64)
        W = torch.cholesky_solve(Xc.transpose(-1, -2) @ Yc[None], torch.linalg.cholesky(gram))
        b = y_mean[None] - torch.einsum("gsh,gshc->gsc", x_mean, W)
    scores = linear_scores(W.to(X.dtype), b.to(X.dtype))
    present = data.present()
    return lambda Xq: masked_argmax(scores(transform(Xq)), present)

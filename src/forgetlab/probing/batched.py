"""Many probes of one kind fit at once: every (feature set, layer) group and every training
subsample of the same rows, as one tensor program.

    data = ProbeData(X, y, w, n_classes)      # X (G, N, H), y (N,), w (S, N)
    predict = probe_kinds.get("linear").fit_batched(data)
    predict(X_test)                           # (G, S, M) class indices in [0, n_classes)

`X` holds G feature sets of the same N rows (the probe pool: each layer of the fine-tuned
and of the untrained model); `w[s, n]` is 1 where row n is in subsample s's training set
and 0 elsewhere (those rows are its validation set). Each (g, s) pair is the problem the
single-probe `Probe.fit` solves on the rows of subsample s, and the tests hold the two
equal within a tolerance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

Predictor = Callable[[torch.Tensor], torch.Tensor]  # (G, M, H) -> (G, S, M) class indices


@dataclass(frozen=True)
class ProbeData:
    X: torch.Tensor  # (G, N, H) float32
    y: torch.Tensor  # (N,) int64 class index in [0, n_classes)
    w: torch.Tensor  # (S, N) float32 in {0, 1}: training rows of each subsample
    n_classes: int

    @property
    def counts(self) -> torch.Tensor:
        """(S,) training rows of each subsample."""
        return self.w.sum(1)

    def onehot(self) -> torch.Tensor:
        return torch.nn.functional.one_hot(self.y, self.n_classes).to(self.X.dtype)


def prestandardize(data: ProbeData) -> tuple[ProbeData, Callable[[torch.Tensor], torch.Tensor]]:
    """`data` with each feature set standardized on all of its rows, and the same map for
    query rows. Probes on standardized features are unchanged by it (each subsample
    standardizes again, now on values near 0 and 1); it keeps float32 products from
    cancelling large offsets."""
    X = data.X.double()
    mean = X.mean(1, keepdim=True)
    var = X.var(1, unbiased=False, keepdim=True)
    scale = torch.where(constant(var, mean, X.shape[1]), torch.ones_like(var), var.sqrt())

    def transform(Xq: torch.Tensor) -> torch.Tensor:  # in float64: features with a large
        return ((Xq.double() - mean) / scale).to(Xq.dtype)  # offset keep their variation

    return ProbeData(transform(data.X), data.y, data.w, data.n_classes), transform


def standardizer(data: ProbeData) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean, scale), each (G, S, H) float64: scikit-learn's StandardScaler fit on each
    subsample's training rows (population standard deviation; a constant feature gets
    scale 1; tiny but varying features are scaled up, as there)."""
    X = data.X.double()
    w = data.w.double()
    n = w.sum(1)[None, :, None]
    mean = torch.einsum("sn,gnh->gsh", w, X) / n
    var = (
        torch.stack(  # two passes, one subsample at a time (memory: G x N x H)
            [
                torch.einsum("n,gnh->gh", w[s], (X - mean[:, s, None]).square())
                for s in range(len(w))
            ],
            1,
        )
        / n
    )
    scale = torch.where(constant(var, mean, n), torch.ones_like(var), var.sqrt())
    return mean, scale


def constant(var: torch.Tensor, mean: torch.Tensor, n) -> torch.Tensor:
    """StandardScaler's test for a constant feature: a variance within the rounding error
    of its float64 estimate (such features keep scale 1)."""
    eps = torch.finfo(torch.float64).eps
    return var <= n * eps * var + (n * mean * eps) ** 2


def class_means(data: ProbeData) -> tuple[torch.Tensor, torch.Tensor]:
    """(means (G, S, C, H), present (S, C)): each subsample's class means of the raw
    features; `present` is False for a class with no training row in that subsample."""
    weights = data.w[:, :, None] * data.onehot()[None]  # (S, N, C)
    counts = weights.sum(1)  # (S, C)
    S, N, C = weights.shape
    flat = weights.permute(0, 2, 1).reshape(S * C, N)  # (S*C, N)
    sums = torch.matmul(flat, data.X)  # (G, S*C, H)
    means = sums.reshape(data.X.shape[0], S, C, -1) / counts.clamp_min(1.0)[None, :, :, None]
    return means, counts > 0


def masked_argmax(scores: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
    """argmax over the last axis of (G, S, M, C) scores, classes absent from a subsample's
    training rows (present: (S, C)) never predicted; ties go to the lowest class index."""
    scores = scores.masked_fill(~present[None, :, None, :], float("-inf"))
    return scores.argmax(-1)

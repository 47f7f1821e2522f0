"""Many probes of one kind fit at once: every (feature set, layer) group and every training
subsample of the same rows, as one tensor program.

    data = ProbeData(X, y, w, n_classes)      # X (G, N, H), y (N,), w (S, N)
    predict = probe_kinds.get("linear").fit_batched(data)
    predict(X_test)                           # (G, S, M) class indices in [0, n_classes)

`X` holds G feature sets of the same N rows (the probe pool: each layer of the fine-tuned
and of the untrained model); `w[s, n]` is 1 where row n is in subsample s's training set
and 0 elsewhere (those rows are its validation set). Probes on standardized features
(`linear`, `ridge`) standardize each feature set once, on all N pool rows (scikit-learn's
StandardScaler fit on the pool, labels unused), so that every subsample shares the same
matrix; each (g, s) problem is then the single-probe fit on subsample s's rows, and the
tests hold the two equal within a tolerance.

On a machine busier than its cores (load average at or above the usable CPUs) the fits run
on one torch thread (`fit_threads`): they are many mid-sized operations whose thread
barriers stall when the other threads are descheduled (measured there: one stage's linear
probes 358 s on two threads, 28 s on one); on an idle machine they keep torch's threads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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

    def present(self) -> torch.Tensor:
        """(S, C): classes with at least one training row in each subsample."""
        return (self.w @ self.onehot()) > 0


def busy() -> bool:
    """Whether the machine runs at least as many processes as it has usable CPUs."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        cpus = os.cpu_count() or 1
    try:
        return os.getloadavg()[0] >= cpus
    except OSError:  # load average unavailable
        return False


@contextmanager
def fit_threads() -> Iterator[None]:
    """torch on one intra-op thread inside the block when the machine is `busy` (restored
    after); unchanged otherwise."""
    before = torch.get_num_threads()
    if busy():
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def constant(var: torch.Tensor, mean: torch.Tensor, n) -> torch.Tensor:
    """StandardScaler's test for a constant feature: a variance within the rounding error
    of its float64 estimate (such features keep scale 1; tiny but varying ones are scaled
    up, as there)."""
    eps = torch.finfo(torch.float64).eps
    return var <= n * eps * var + (n * mean * eps) ** 2


def standardize(data: ProbeData) -> tuple[ProbeData, Callable[[torch.Tensor], torch.Tensor]]:
    """`data` with each feature set standardized on all of its pool rows (StandardScaler:
    population standard deviation, computed in float64), and the same map for query rows."""
    X = data.X.double()
    mean = X.mean(1, keepdim=True)
    var = (X - mean).square().mean(1, keepdim=True)
    scale = torch.where(constant(var, mean, X.shape[1]), torch.ones_like(var), var.sqrt())

    def transform(Xq: torch.Tensor) -> torch.Tensor:  # in float64: features with a large
        return ((Xq.double() - mean) / scale).to(Xq.dtype)  # offset keep their variation

    return ProbeData(transform(data.X), data.y, data.w, data.n_classes), transform


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


def linear_scores(V: torch.Tensor, c0: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """Scores X @ V[g, s] + c0[g, s] of (G, M, H) rows, as (G, S, M, C): one matmul per
    feature set over every subsample's weights (V: (G, S, H, C), c0: (G, S, C))."""
    G, S, H, C = V.shape
    flat = V.permute(0, 2, 1, 3).reshape(G, H, S * C)

    def scores(Xq: torch.Tensor) -> torch.Tensor:
        z = torch.matmul(Xq, flat).view(G, -1, S, C) + c0[:, None]
        return z.permute(0, 2, 1, 3)

    return scores

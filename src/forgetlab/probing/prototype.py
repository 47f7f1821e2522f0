"""`prototype` probe: nearest class mean (euclidean) on the raw features.

    build_probe("prototype").fit(X, y).predict(X_test)
    PrototypeProbe.fit_batched(ProbeData(X, y, w, C))(X_test)

A fixed readout with nothing to tune: it shows losses that a refitted linear probe hides.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from forgetlab.probing.batched import Predictor, ProbeData, class_means, masked_argmax
from forgetlab.probing.probes import Probe, probe_kinds


@probe_kinds.register("prototype", help="nearest class mean, euclidean")
class PrototypeProbe(Probe):
    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        from sklearn.neighbors import NearestCentroid

        with warnings.catch_warnings():  # it warns about features constant within a class
            warnings.simplefilter("ignore", UserWarning)
            self.model_ = NearestCentroid().fit(X, y)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self.model_.predict(X)

    @classmethod
    def fit_batched(cls, data: ProbeData) -> Predictor:
        offset = data.X.mean(1, keepdim=True)  # distances do not move; fewer cancellations
        data = ProbeData(data.X - offset, data.y, data.w, data.n_classes)
        means, present = class_means(data)  # (G, S, C, H)
        G, S, C, H = means.shape
        flat = means.reshape(G, S * C, H)
        sq = (flat * flat).sum(-1)  # (G, S*C)

        def predict(Xq: torch.Tensor) -> torch.Tensor:
            # -||x - m||^2 up to the per-row constant ||x||^2
            scores = 2 * torch.matmul(Xq - offset, flat.transpose(1, 2)) - sq[:, None, :]
            return masked_argmax(scores.view(G, -1, S, C).permute(0, 2, 1, 3), present)

        return predict

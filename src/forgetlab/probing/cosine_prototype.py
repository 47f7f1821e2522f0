"""`cosine_prototype` probe: the class whose mean feature has the highest cosine similarity.

    build_probe("cosine_prototype").fit(X, y).predict(X_test)
    CosinePrototypeProbe.fit_batched(ProbeData(X, y, w, C))(X_test)

(sklearn's NearestCentroid has no cosine metric: class means of the raw features, compared
by angle.)
"""

from __future__ import annotations

import numpy as np
import torch

from forgetlab.probing.batched import Predictor, ProbeData, class_means, masked_argmax
from forgetlab.probing.probes import Probe, probe_kinds


def _unit(a: np.ndarray) -> np.ndarray:
    return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)


@probe_kinds.register("cosine_prototype", help="nearest class mean by cosine similarity")
class CosinePrototypeProbe(Probe):
    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        self.classes_ = np.unique(y)
        means = np.stack([X[y == c].mean(0) for c in self.classes_])  # (C, H)
        self.directions_ = _unit(means)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[(_unit(X) @ self.directions_.T).argmax(1)]

    @classmethod
    def fit_batched(cls, data: ProbeData) -> Predictor:
        means, present = class_means(data)  # (G, S, C, H)
        G, S, C, H = means.shape
        directions = torch.nn.functional.normalize(means.reshape(G, S * C, H), dim=-1, eps=1e-12)

        def predict(Xq: torch.Tensor) -> torch.Tensor:
            unit = torch.nn.functional.normalize(Xq, dim=-1, eps=1e-12)
            scores = torch.matmul(unit, directions.transpose(1, 2))
            return masked_argmax(scores.view(G, -1, S, C).permute(0, 2, 1, 3), present)

        return predict

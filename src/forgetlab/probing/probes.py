"""Probes: classifiers fit on frozen features, one file per kind, registered by name.

    probe = build_probe("linear").fit(X_train, y_train)   # X (N, H) float, y (N,) class ids
    accuracy = (probe.predict(X_test) == y_test).mean()
    predict = probe_kinds.get("linear").fit_batched(ProbeData(X, y, w, C))   # many at once

`fit`/`predict` fit one probe (scikit-learn where it has the estimator); `fit_batched` fits
the same probe for every layer and subsample at once in torch (`batched`), which is what the
prober uses after every stage.

Kinds: `linear` (multinomial logistic regression, L-BFGS), `ridge` (closed form, one-hot
targets), `prototype` (nearest class mean, euclidean), `cosine_prototype` (nearest class
mean by cosine). All fit in one full-batch solve, never by epochs of SGD.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from forgetlab.registry import Registry

if TYPE_CHECKING:
    from forgetlab.probing.batched import Predictor, ProbeData


class Probe:
    """fit(X, y) -> self; predict(X) -> labels. Subclasses implement `_fit`/`_predict`;
    fitted state ends in `_`. A single class is predicted as a constant."""

    def fit(self, X: np.ndarray, y: np.ndarray) -> Probe:
        classes = np.unique(y)
        self.constant_ = int(classes[0]) if len(classes) == 1 else None
        if self.constant_ is None:
            self._fit(np.asarray(X, dtype=np.float64), np.asarray(y))
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        if self.constant_ is not None:
            return np.full(len(X), self.constant_)
        return self._predict(np.asarray(X, dtype=np.float64))

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        raise NotImplementedError

    def _predict(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @classmethod
    def fit_batched(cls, data: ProbeData) -> Predictor:
        """Fit this kind on every (feature set, subsample) of `data` at once; returns a
        function from (G, M, H) features to (G, S, M) class indices."""
        raise NotImplementedError


probe_kinds: Registry[type[Probe]] = Registry("probe kind")


def build_probe(name: str) -> Probe:
    return probe_kinds.get(name)()


# Built-in probe kinds: one import line each registers them.
from forgetlab.probing import linear as _linear  # noqa: E402,F401  isort: skip
from forgetlab.probing import ridge as _ridge  # noqa: E402,F401  isort: skip
from forgetlab.probing import prototype as _prototype  # noqa: E402,F401  isort: skip
from forgetlab.probing import cosine_prototype as _cosine  # noqa: E402,F401  isort: skip

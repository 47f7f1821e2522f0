"""`prototype` probe: nearest class mean (euclidean) on the raw features.

    build_probe("prototype").fit(X, y).predict(X_test)

A fixed readout with nothing to tune: it shows losses that a refitted linear probe hides.
"""

from __future__ import annotations

import warnings

import numpy as np

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

"""`ridge` probe: least squares onto one-hot class targets with an L2 penalty, solved in
closed form (Cholesky) on standardized features; the prediction is the largest output.

    build_probe("ridge").fit(X, y).predict(X_test)
"""

from __future__ import annotations

import numpy as np

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

"""`linear` probe: multinomial logistic regression on standardized features (L-BFGS).

build_probe("linear").fit(X, y).predict(X_test)
"""

from __future__ import annotations

import warnings

import numpy as np

from forgetlab.probing.probes import Probe, probe_kinds

C = 1.0  # inverse L2 strength on standardized features (sklearn's default)
MAX_ITER = 300  # L-BFGS iterations; few hundred examples converge well before


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

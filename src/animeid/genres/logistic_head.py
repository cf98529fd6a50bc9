"""One L2-regularised logistic regression per genre on standardised frozen features.

With a few dozen positives per genre and 2,560 feature dimensions, the strongest thing a head can do
is be strongly regularised; independent per-genre models also mean a 4-example genre cannot distort
the weights of a 60-example one. Stored as plain arrays, so prediction needs only numpy."""
from __future__ import annotations

import numpy as np


class LogisticHead:
    kind = "logreg"

    def __init__(self, C: float = 0.05, seed: int = 0):
        self.C = C
        self.seed = seed
        self.mean = self.scale = self.coef = self.intercept = None

    def fit(self, x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> "LogisticHead":
        from threadpoolctl import threadpool_limits

        # Small problems: multi-threaded BLAS only adds contention (10x slower on a busy 2-core box).
        with threadpool_limits(1):
            return self._fit(x, y, sample_weight)

    def _fit(self, x, y, sample_weight) -> "LogisticHead":
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression

        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y)
        self.mean = x.mean(axis=0)
        self.scale = x.std(axis=0) + 1e-6
        z = (x - self.mean) / self.scale
        # An L2-regularised solution lies in the span of the training rows, so fitting in that
        # (<= n)-dimensional basis gives the same weights ~20x faster than in 2,560 dimensions.
        _, sv, vt = np.linalg.svd(z, full_matrices=False)
        basis = vt[sv > sv.max() * 1e-6] if sv.size else vt
        z = z @ basis.T
        self.coef = np.zeros((y.shape[1], z.shape[1]))
        self.intercept = np.zeros(y.shape[1])
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        for j in range(y.shape[1]):
            col = (y[:, j] > 0.5).astype(int)
            frac = np.average(col, weights=w) if len(col) else 0.0
            if col.min() == col.max():  # one class only: a constant, clipped away from 0/1
                p = float(np.clip(frac, 1e-3, 1 - 1e-3))
                self.intercept[j] = np.log(p / (1 - p))
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                m = LogisticRegression(C=self.C, max_iter=500, random_state=self.seed)
                m.fit(z, col, sample_weight=w)
            self.coef[j] = m.coef_[0]
            self.intercept[j] = m.intercept_[0]
        self.coef = self.coef @ basis
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        z = (np.asarray(x, dtype=np.float64) - self.mean) / self.scale
        logits = z @ self.coef.T + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -40, 40)))

    def state(self) -> dict[str, np.ndarray]:
        return {"mean": self.mean, "scale": self.scale, "coef": self.coef, "intercept": self.intercept}

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray], C: float = 0.05) -> "LogisticHead":
        head = cls(C)
        head.mean, head.scale = state["mean"], state["scale"]
        head.coef, head.intercept = state["coef"], state["intercept"]
        return head

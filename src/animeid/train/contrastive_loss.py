"""S1's contrastive loss, L = 1/2 (1-Y) D^2 + 1/2 Y max(0, m - D)^2 with Y = 0 for a similar pair,
arranged like pytorch-metric-learning: the distance and the reduction are separate objects, so the
same loss works with another metric or another way of weighting pairs."""
from __future__ import annotations

from animeid.train.balanced_reducer import BalancedReducer
from animeid.train.euclidean_distance import EuclideanDistance


class ContrastiveLoss:
    def __init__(self, margin: float = 1.0, distance=None, reducer=None):
        if margin <= 0:
            raise ValueError("margin must be positive")
        self.margin = float(margin)
        self.distance = distance or EuclideanDistance()
        self.reducer = reducer or BalancedReducer()

    def per_pair(self, d, y):
        """Loss of each pair from its distance `d` and label `y` (0 similar, 1 different)."""
        y = y.to(d.dtype)
        return 0.5 * (1 - y) * d.pow(2) + 0.5 * y * (self.margin - d).clamp(min=0).pow(2)

    def from_distances(self, d, y):
        return self.reducer(self.per_pair(d, y), y)

    def __call__(self, a, b, y):
        """Mean loss of pairs (a[i], b[i]) labelled y[i]."""
        return self.from_distances(self.distance.pairwise(a, b), y)

    def __repr__(self) -> str:
        return f"ContrastiveLoss(margin={self.margin}, distance={self.distance!r})"

"""Reducers turn a tensor of per-element losses into the scalar to back-propagate, the way
pytorch-metric-learning separates a loss's formula from how its terms are aggregated: the same loss
can be averaged plainly, per group (`BalancedReducer`) or with sample weights, without a new loss
class. This plain mean is what Keras did for S1; the genre heads pass per-poster weights
(pseudo-labelled posters count less)."""
from __future__ import annotations


class MeanReducer:
    def __call__(self, losses, labels=None, weights=None):
        if losses.numel() == 0:
            return losses.sum()
        if weights is None:
            return losses.mean()
        w = weights.reshape(-1, *([1] * (losses.dim() - 1))).expand_as(losses)
        return (losses * w).sum() / w.sum().clamp_min(1e-12)

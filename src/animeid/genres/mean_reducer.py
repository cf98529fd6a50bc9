"""Reducers turn a tensor of per-element losses into the scalar to back-propagate, the way
pytorch-metric-learning separates a loss's formula from how its terms are aggregated: the same focal
loss can be averaged over all elements, or over only the non-zero terms, without a new loss class."""
from __future__ import annotations


class MeanReducer:
    """Plain mean over all elements (weighted when per-sample weights are given)."""

    def __call__(self, losses, weights=None):
        if weights is None:
            return losses.mean()
        w = weights.reshape(-1, *([1] * (losses.dim() - 1))).expand_as(losses)
        return (losses * w).sum() / w.sum().clamp_min(1e-12)

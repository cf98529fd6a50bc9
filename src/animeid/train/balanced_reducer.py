"""Average the similar-pair and the different-pair losses separately, then average the two.

A class-balanced batch of P classes x K images holds far more different-class pairs than same-class
ones; a plain mean would let the negatives dominate (the imbalance S1 fixed by rewriting its CSV).
Weighting the two groups equally keeps the balance whatever the batch composition."""
from __future__ import annotations


class BalancedReducer:
    def __call__(self, losses, labels):
        similar = labels == 0
        parts = [losses[mask].mean() for mask in (similar, ~similar) if bool(mask.any())]
        if not parts:
            return losses.sum()
        return sum(parts) / len(parts)

"""Euclidean distance between embeddings, as S1's Lambda layer computed it between the two branches.

A small epsilon inside the square root keeps the gradient finite when two embeddings coincide
(d sqrt(x)/dx is infinite at 0, which turns identical pairs into NaN weights)."""
from __future__ import annotations


class EuclideanDistance:
    def __init__(self, eps: float = 1e-12):
        self.eps = eps

    def pairwise(self, a, b):
        """(n, d) x (n, d) -> (n,) distances of row i of a to row i of b."""
        return ((a - b).pow(2).sum(dim=-1) + self.eps).sqrt()

    def matrix(self, a, b):
        """(n, d) x (m, d) -> (n, m) all distances."""
        return ((a[:, None, :] - b[None, :, :]).pow(2).sum(dim=-1) + self.eps).sqrt()

    def __repr__(self) -> str:
        return "EuclideanDistance()"

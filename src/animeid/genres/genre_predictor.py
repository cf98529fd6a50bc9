"""Scores (probability-like, 0..1) for each genre of a poster from its frozen features.

A blend of a trained head and k-NN label transfer: the head generalises from all posters, while the
nearest posters (same studio look, same franchise key art) carry genres too rare for a head to learn
from three examples. Both are smoothed towards the genre prior, which is what the few-example regime
needs most: without evidence, a poster is most likely to have the most common genres."""
from __future__ import annotations

import numpy as np

from animeid.genres.config import GenreCfg


def _unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def knn_label_scores(memory_x: np.ndarray, memory_y: np.ndarray, queries: np.ndarray, k: int,
                     temperature: float, weights: np.ndarray | None = None,
                     exclude_self: bool = False) -> np.ndarray:
    """Similarity-weighted average of the k nearest training posters' multi-hot labels."""
    sims = _unit_rows(queries) @ _unit_rows(memory_x).T
    if exclude_self:
        np.fill_diagonal(sims, -np.inf)
    k = max(1, min(k, memory_x.shape[0] - (1 if exclude_self else 0)))
    idx = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    s = np.take_along_axis(sims, idx, axis=1)
    w = np.exp((s - s.max(axis=1, keepdims=True)) * temperature)
    if weights is not None:
        w = w * np.asarray(weights)[idx]
    w /= np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
    return np.einsum("nk,nkg->ng", w, np.asarray(memory_y, dtype=np.float64)[idx])


class GenrePredictor:
    def __init__(self, cfg: GenreCfg = GenreCfg()):
        self.cfg = cfg
        self.head = None
        self.memory_x = self.memory_y = self.memory_w = None

    def _new_head(self):
        if self.cfg.head == "logreg":
            from animeid.genres.logistic_head import LogisticHead

            return LogisticHead(C=self.cfg.C, seed=self.cfg.seed)
        if self.cfg.head == "mlp":
            from animeid.genres.sigmoid_head import SigmoidHead

            return SigmoidHead(self.cfg)
        raise ValueError(f"unknown head {self.cfg.head!r} (logreg or mlp)")

    def fit(self, x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> "GenrePredictor":
        self.head = self._new_head().fit(x, y, sample_weight)
        self.memory_x = _unit_rows(x)
        self.memory_y = np.asarray(y, dtype=np.float32)
        self.memory_w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float32)
        return self

    def scores(self, x: np.ndarray) -> np.ndarray:
        head = self.head.predict_proba(x)
        w = self.cfg.knn_weight
        if w <= 0:
            return head
        knn = knn_label_scores(self.memory_x, self.memory_y, x, self.cfg.knn_k, self.cfg.knn_temperature,
                               self.memory_w)
        return (1.0 - w) * head + w * knn

    def state(self) -> dict[str, np.ndarray]:
        out = {f"head_{k}": v for k, v in self.head.state().items()}
        out["memory_x"] = self.memory_x
        out["memory_y"] = self.memory_y
        if self.memory_w is not None:
            out["memory_w"] = self.memory_w
        return out

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray], cfg: GenreCfg) -> "GenrePredictor":
        pred = cls(cfg)
        head_state = {k[5:]: v for k, v in state.items() if k.startswith("head_")}
        if cfg.head == "logreg":
            from animeid.genres.logistic_head import LogisticHead

            pred.head = LogisticHead.from_state(head_state, cfg.C)
        else:
            from animeid.genres.sigmoid_head import SigmoidHead

            pred.head = SigmoidHead.from_state(head_state, cfg)
        pred.memory_x, pred.memory_y = state["memory_x"], state["memory_y"]
        pred.memory_w = state.get("memory_w")
        return pred

"""S4's semi-supervised step: label unlabelled posters with the model's own confident predictions
and retrain on both. Whether it helps is measured (see `crossval`), never assumed: S4 found it
slightly worse, and a model's confident mistakes are exactly what it would learn twice."""
from __future__ import annotations

import numpy as np

from animeid.genres.config import GenreCfg
from animeid.genres.thresholds import apply_thresholds
from animeid.genres.training import FittedGenres, fit_genres


def pseudo_label(fitted: FittedGenres, x_unlabelled: np.ndarray, confidence: float,
                 min_predicted: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(multi-hot labels, kept row indices): a poster is kept when its best genre scores at least
    `confidence`; its labels are the model's own thresholded decisions."""
    if len(x_unlabelled) == 0:
        return np.zeros((0, len(fitted.thresholds)), dtype=np.uint8), np.zeros(0, dtype=int)
    scores = fitted.predictor.scores(x_unlabelled)
    keep = np.flatnonzero(scores.max(axis=1) >= confidence)
    labels = apply_thresholds(scores[keep], fitted.thresholds, min_predicted, fitted.max_predicted)
    return labels, keep


def fit_with_pseudo_labels(x: np.ndarray, y: np.ndarray, x_unlabelled: np.ndarray, cfg: GenreCfg,
                           first: FittedGenres | None = None) -> tuple[FittedGenres, int]:
    """Retrained model and how many unlabelled posters it adopted (weighted `cfg.pseudo_weight`)."""
    first = first or fit_genres(x, y, cfg)
    labels, keep = pseudo_label(first, x_unlabelled, cfg.pseudo_confidence, cfg.min_predicted)
    if len(keep) == 0:
        return first, 0
    xx = np.concatenate([x, x_unlabelled[keep]])
    yy = np.concatenate([y, labels]).astype(np.uint8)
    w = np.concatenate([np.ones(len(x)), np.full(len(keep), cfg.pseudo_weight)])
    return fit_genres(xx, yy, cfg, sample_weight=w, n_labelled=len(x)), int(len(keep))

"""Fitting a genre predictor together with its thresholds.

Thresholds are tuned on inner out-of-fold scores of the training posters only (never on the posters
being evaluated), then the predictor is refitted on all training posters."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from animeid.genres.config import GenreCfg
from animeid.genres.decision_rule import DecisionRule, resolve_max_predicted
from animeid.genres.genre_predictor import GenrePredictor
from animeid.genres.split import stratified_folds
from animeid.genres.thresholds import threshold_grid, tune_thresholds


@dataclass
class FittedGenres:
    predictor: GenrePredictor
    thresholds: np.ndarray
    global_threshold: float
    oof_scores: np.ndarray
    max_predicted: int = 0
    min_predicted: int = 1

    @property
    def decision(self) -> DecisionRule:
        return DecisionRule(self.thresholds, self.min_predicted, self.max_predicted)


def out_of_fold_scores(x: np.ndarray, y: np.ndarray, cfg: GenreCfg, sample_weight: np.ndarray | None = None,
                       n_labelled: int | None = None) -> np.ndarray:
    """Scores of the first `n_labelled` rows, each from a predictor that never saw it. Rows past
    `n_labelled` (pseudo-labelled) are always in the training part."""
    n = len(x) if n_labelled is None else n_labelled
    oof = np.zeros((n, y.shape[1]))
    extra = np.arange(n, len(x))
    for tr, te in stratified_folds(y[:n], cfg.inner_folds, cfg.seed):
        tr = np.concatenate([tr, extra])
        w = None if sample_weight is None else sample_weight[tr]
        oof[te] = GenrePredictor(cfg).fit(x[tr], y[tr], w).scores(x[te])
    return oof


def fit_genres(x: np.ndarray, y: np.ndarray, cfg: GenreCfg = GenreCfg(),
               sample_weight: np.ndarray | None = None, n_labelled: int | None = None) -> FittedGenres:
    n = len(x) if n_labelled is None else n_labelled
    oof = out_of_fold_scores(x, y, cfg, sample_weight, n)
    grid = threshold_grid(*cfg.threshold_grid)
    cap = resolve_max_predicted(cfg.max_predicted, y[:n])
    th, global_t = tune_thresholds(y[:n], oof, grid, cfg.min_positives_per_genre_threshold,
                                   cfg.threshold_shrinkage, cfg.min_predicted, cfg.threshold_objective, cap)
    predictor = GenrePredictor(cfg).fit(x, y, sample_weight)
    return FittedGenres(predictor, th, global_t, oof, cap, cfg.min_predicted)

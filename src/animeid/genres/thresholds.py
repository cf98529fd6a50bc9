"""Decision thresholds for sigmoid scores, tuned on out-of-fold predictions.

S3 moved all thresholds together and named per-genre tuning as its missing step. With ~250 posters a
per-genre threshold fitted on a handful of positives is mostly noise, so: genres with enough positives
get their own threshold, shrunk towards one global threshold; rarer genres use the global one. And
every poster gets at least its top-scoring genre, because every anime has a genre."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from animeid.evaluate.multilabel import f1_from_counts, hamming_loss, micro_f1


def threshold_grid(lo: float, hi: float, n: int) -> np.ndarray:
    return np.round(np.linspace(lo, hi, int(n)), 6)


def apply_thresholds(scores: np.ndarray, thresholds, min_predicted: int = 1, max_predicted: int = 0) -> np.ndarray:
    """0/1 predictions: score >= threshold, plus the top `min_predicted` genres of every row, and
    (when `max_predicted` > 0) nothing outside each row's top `max_predicted` genres."""
    s = np.asarray(scores, dtype=np.float64)
    pred = (s >= np.asarray(thresholds, dtype=np.float64)).astype(np.uint8)
    if not s.size:
        return pred
    order = np.argsort(-s, axis=1, kind="stable") if (min_predicted > 0 or max_predicted > 0) else None
    if max_predicted > 0 and max_predicted < s.shape[1]:
        np.put_along_axis(pred, order[:, max_predicted:], 0, axis=1)
    if min_predicted > 0:
        k = min(min_predicted, s.shape[1])
        np.put_along_axis(pred, order[:, :k], 1, axis=1)
    return pred


def f1_curve(truth: np.ndarray, scores: np.ndarray, grid: Sequence[float]) -> np.ndarray:
    """F1 of one genre at each threshold of the grid."""
    t = np.asarray(truth).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    out = []
    for th in grid:
        p = s >= th
        out.append(f1_from_counts(float((p & t).sum()), float((p & ~t).sum()), float((~p & t).sum())))
    return np.array(out)


def best_threshold(grid: Sequence[float], values: Sequence[float]) -> float:
    """Argmax over the grid; ties resolved to the median tied threshold (the middle of a plateau
    is the choice least sensitive to where the plateau's edges happen to fall in this sample)."""
    grid = np.asarray(grid, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    best = values.max()
    tied = grid[np.isclose(values, best, rtol=0, atol=1e-12)]
    return float(tied[(len(tied) - 1) // 2])


def accuracy_curve(truth: np.ndarray, scores: np.ndarray, grid: Sequence[float]) -> np.ndarray:
    """1 - (per-genre Hamming loss) at each threshold: the fraction of posters decided right."""
    t = np.asarray(truth).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    return np.array([float(((s >= th) == t).mean()) for th in grid])


def micro_f1_curve(y: np.ndarray, scores: np.ndarray, grid: Sequence[float], min_predicted: int = 1,
                   max_predicted: int = 0) -> np.ndarray:
    return np.array([micro_f1(y, apply_thresholds(scores, th, min_predicted, max_predicted)) for th in grid])


def tune_global_threshold(y: np.ndarray, scores: np.ndarray, grid: Sequence[float], min_predicted: int = 1,
                          objective: str = "micro_f1", max_predicted: int = 0) -> float:
    """The single threshold maximising micro-F1, or minimising Hamming loss (objective="hamming"),
    with the top-k rule and the cap applied as at prediction."""
    if objective == "hamming":
        values = [-hamming_loss(y, apply_thresholds(scores, th, min_predicted, max_predicted)) for th in grid]
    elif objective == "micro_f1":
        values = micro_f1_curve(y, scores, grid, min_predicted, max_predicted)
    else:
        raise ValueError(f"unknown threshold objective {objective!r} (micro_f1 or hamming)")
    return best_threshold(grid, values)


def tune_thresholds(y: np.ndarray, scores: np.ndarray, grid: Sequence[float], min_positives: int = 8,
                    shrinkage: float = 0.5, min_predicted: int = 1,
                    objective: str = "micro_f1", max_predicted: int = 0) -> tuple[np.ndarray, float]:
    """Per-genre thresholds and the global one they fall back to.

    A genre with at least `min_positives` positives gets the best threshold of its own curve (F1, or
    accuracy when the objective is Hamming loss), moved a fraction `shrinkage` of the way towards the
    global threshold; other genres get the global threshold."""
    y = np.asarray(y)
    scores = np.asarray(scores, dtype=np.float64)
    global_t = tune_global_threshold(y, scores, grid, min_predicted, objective, max_predicted)
    curve = accuracy_curve if objective == "hamming" else f1_curve
    out = np.full(y.shape[1], global_t, dtype=np.float64)
    for j in range(y.shape[1]):
        if int(y[:, j].sum()) >= max(1, min_positives):
            own = best_threshold(grid, curve(y[:, j], scores[:, j], grid))
            out[j] = (1.0 - shrinkage) * own + shrinkage * global_t
    return out, global_t

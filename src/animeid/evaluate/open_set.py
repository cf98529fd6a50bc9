"""Open-set recognition metrics as pure functions: how well a confidence score separates queries
of enrolled labels from strangers, and whether it can be read as a probability.

A gallery's score claims to be "the probability that the label is right". That claim is only
checkable on queries nobody tuned on, with strangers among them, so these take plain arrays of
scores and outcomes and know nothing of galleries."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def roc_auc(positive: Sequence[float], negative: Sequence[float]) -> float:
    """Probability that a random positive scores above a random negative (ties count half): the
    area under the ROC curve, threshold-free, so it judges the score apart from the gallery's
    chosen cut."""
    pos = np.asarray(positive, dtype=np.float64)
    neg = np.asarray(negative, dtype=np.float64)
    if not len(pos) or not len(neg):
        raise ValueError("roc_auc needs at least one positive and one negative score")
    # rank-sum (Mann-Whitney U), with tied scores given their average rank
    both = np.concatenate([pos, neg])
    order = np.argsort(both, kind="mergesort")
    ranks = np.empty(len(both))
    sorted_scores = both[order]
    start = 0
    while start < len(both):
        stop = start
        while stop + 1 < len(both) and sorted_scores[stop + 1] == sorted_scores[start]:
            stop += 1
        ranks[order[start:stop + 1]] = (start + stop) / 2 + 1
        start = stop + 1
    u = ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2
    return float(u / (len(pos) * len(neg)))


def even_prior_weights(is_stranger: Sequence[bool]) -> np.ndarray:
    """Weights giving enrolled-label queries and strangers half the total each: the prior the
    gallery's calibration assumes, whatever the mix of a test set."""
    s = np.asarray(is_stranger, dtype=bool)
    w = np.zeros(len(s))
    if s.any():
        w[s] = 0.5 / s.sum()
    if (~s).any():
        w[~s] = 0.5 / (~s).sum()
    return w / w.sum() if w.sum() else w


def reliability_bins(scores: Sequence[float], correct: Sequence[bool], bins: int = 10,
                     weights: Sequence[float] | None = None) -> list[dict]:
    """Equal-width score bins over [0, 1]: for each non-empty bin its weight share, mean score
    and share right. A calibrated score has mean score == share right in every bin. A score of
    exactly 1 falls in the last bin."""
    p = np.asarray(scores, dtype=np.float64)
    ok = np.asarray(correct, dtype=np.float64)
    if len(p) != len(ok):
        raise ValueError("scores and correct differ in length")
    if bins < 1:
        raise ValueError("bins must be >= 1")
    if np.any((p < 0) | (p > 1)) or np.any(np.isnan(p)):
        raise ValueError("scores must lie in [0, 1]")
    w = np.ones(len(p)) if weights is None else np.asarray(weights, dtype=np.float64)
    if len(w) != len(p):
        raise ValueError("weights and scores differ in length")
    total = w.sum()
    which = np.minimum((p * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        inside = which == b
        mass = w[inside].sum()
        if not inside.any() or mass == 0:
            continue
        out.append({"low": b / bins, "high": (b + 1) / bins, "share": float(mass / total),
                    "count": int(inside.sum()),
                    "mean_score": float(np.average(p[inside], weights=w[inside])),
                    "right": float(np.average(ok[inside], weights=w[inside]))})
    return out


def expected_calibration_error(scores: Sequence[float], correct: Sequence[bool], bins: int = 10,
                               weights: Sequence[float] | None = None) -> float:
    """Weighted mean over bins of |mean score - share right| (ECE): 0 for a score that means what
    it says, up to 1."""
    if not len(scores):
        raise ValueError("expected_calibration_error needs at least one score")
    return float(sum(b["share"] * abs(b["mean_score"] - b["right"])
                     for b in reliability_bins(scores, correct, bins, weights)))

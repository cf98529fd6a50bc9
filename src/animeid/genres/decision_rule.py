"""Turning genre scores into a yes/no per genre: thresholds, at least `min_predicted` genres, and
at most `max_predicted` genres per poster.

Why a cap: with weak features the threshold that maximises micro-F1 is low, so a poster gets about
twice as many genres as it has (8 for 4.6 true ones on the shared posters). Micro-F1 is flat near
its optimum but Hamming loss grows with every extra genre; keeping only the best
ceil(mean training genre count) genres measured -0.01 to -0.04 micro-F1 for -0.04 to -0.06 Hamming
loss (docs/genres.md). The cap is resolved from the training posters, so it follows the label
density of whatever list the model is trained on."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from animeid.genres.thresholds import apply_thresholds


def resolve_max_predicted(setting: int, y: np.ndarray) -> int:
    """The cap a setting means for these training labels: -1 = ceil of the mean number of genres
    per poster, 0 = no cap, N > 0 = N."""
    if setting >= 0:
        return int(setting)
    y = np.asarray(y)
    if y.size == 0:
        return 0
    return max(1, math.ceil(float((y > 0.5).sum(axis=1).mean()) - 1e-9))


@dataclass
class DecisionRule:
    thresholds: np.ndarray
    min_predicted: int = 1
    max_predicted: int = 0

    def apply(self, scores: np.ndarray) -> np.ndarray:
        return apply_thresholds(scores, self.thresholds, self.min_predicted, self.max_predicted)

"""Multi-label folds by iterative stratification (Sechidis et al. 2011, via `iterstrat`): a random
split of 250 posters easily leaves a 5-example genre with no positive in some validation fold, which
makes its F1 and its tuned threshold meaningless."""
from __future__ import annotations

import numpy as np


def stratified_folds(y: np.ndarray, n_folds: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train_idx, test_idx) pairs; n_folds is lowered to the number of samples if needed."""
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    y = np.asarray(y)
    n_folds = max(2, min(n_folds, len(y)))
    splitter = MultilabelStratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    return [(np.asarray(a), np.asarray(b)) for a, b in splitter.split(np.zeros((len(y), 1)), y)]


def stratified_holdout(y: np.ndarray, test_fraction: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One train/test split by iterative stratification."""
    from iterstrat.ml_stratifiers import MultilabelStratifiedShuffleSplit

    splitter = MultilabelStratifiedShuffleSplit(n_splits=1, test_size=test_fraction, random_state=seed)
    a, b = next(splitter.split(np.zeros((len(y), 1)), np.asarray(y)))
    return np.asarray(a), np.asarray(b)


def genres_on_both_sides(y: np.ndarray, train_idx: np.ndarray, test_idx: np.ndarray) -> np.ndarray:
    """Boolean per genre: has at least one positive in train and in test."""
    y = np.asarray(y)
    return (y[train_idx].sum(axis=0) > 0) & (y[test_idx].sum(axis=0) > 0)

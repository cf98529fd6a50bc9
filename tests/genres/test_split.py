"""Iterative stratification keeps rare genres on both sides of every split."""
import numpy as np

from animeid.genres.split import genres_on_both_sides, stratified_folds, stratified_holdout


def _labels(seed=0, n=60):
    rng = np.random.default_rng(seed)
    y = (rng.random((n, 6)) < [0.5, 0.3, 0.2, 0.1, 0.0, 0.0]).astype(int)
    y[:, 4] = 0
    y[[3, 17, 40], 4] = 1          # a rare genre: 3 examples
    y[:, 5] = 0
    y[[8, 51], 5] = 1              # rarer: 2 examples
    y[y.sum(axis=1) == 0, 0] = 1
    return y


def test_rare_genres_on_both_sides_of_every_fold():
    y = _labels()
    folds = stratified_folds(y, 2, seed=0)
    assert len(folds) == 2
    for tr, te in folds:
        assert sorted(np.concatenate([tr, te]).tolist()) == list(range(len(y)))
        assert genres_on_both_sides(y, tr, te).all(), y[te].sum(axis=0)
    # the 2-example genre is split one and one
    assert [int(y[te, 5].sum()) for _, te in folds] == [1, 1]


def test_three_example_genre_spreads_over_three_folds():
    y = _labels(1)
    folds = stratified_folds(y, 3, seed=0)
    assert sorted(int(y[te, 4].sum()) for _, te in folds) == [1, 1, 1]


def test_holdout_keeps_rare_genre_in_train_and_test():
    y = _labels(2)
    tr, te = stratified_holdout(y, 0.5, seed=0)
    assert y[tr, 4].sum() >= 1 and y[te, 4].sum() >= 1
    assert y[tr, 5].sum() == 1 and y[te, 5].sum() == 1

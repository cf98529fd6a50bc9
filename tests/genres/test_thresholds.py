"""Threshold tuning against hand-worked examples."""
import numpy as np
import pytest

from animeid.genres.thresholds import apply_thresholds, best_threshold, f1_curve, tune_thresholds

GRID = [0.3, 0.5, 0.7]


def test_f1_curve_hand_worked():
    # y = 1 1 0 0, scores .9 .4 .6 .1
    # t=.3 -> predicts 1 1 1 0: tp2 fp1 fn0 -> F1 4/5; t=.5 -> 1 0 1 0: tp1 fp1 fn1 -> 1/2;
    # t=.7 -> 1 0 0 0: tp1 fp0 fn1 -> 2/3
    curve = f1_curve(np.array([1, 1, 0, 0]), np.array([0.9, 0.4, 0.6, 0.1]), GRID)
    assert curve == pytest.approx([0.8, 0.5, 2 / 3])
    assert best_threshold(GRID, curve) == 0.3


def test_ties_resolve_to_the_middle_of_the_plateau():
    curve = f1_curve(np.array([1, 0]), np.array([0.8, 0.2]), GRID)
    assert curve == pytest.approx([1, 1, 1])
    assert best_threshold(GRID, curve) == 0.5


def test_per_genre_thresholds_with_shrinkage_and_global_fallback():
    y = np.array([[1, 0], [1, 0], [0, 0], [0, 1]])
    s = np.array([[0.9, 0.35], [0.4, 0.32], [0.6, 0.05], [0.1, 0.8]])
    # global micro-F1: t=.3 -> tp3 fp3 fn0 = 6/9; t=.5 -> tp2 fp1 fn1 = 4/6; t=.7 -> tp2 fp0 fn1 = 4/5
    # genre 0 (2 positives) alone prefers .3; shrunk half-way to the global .7 -> .5
    # genre 1 (1 positive < 2) falls back to the global .7
    th, global_t = tune_thresholds(y, s, GRID, min_positives=2, shrinkage=0.5, min_predicted=0)
    assert global_t == 0.7
    assert th == pytest.approx([0.5, 0.7])
    th0, _ = tune_thresholds(y, s, GRID, min_positives=2, shrinkage=0.0, min_predicted=0)
    assert th0 == pytest.approx([0.3, 0.7])


def test_apply_thresholds_always_keeps_top_genre():
    s = np.array([[0.1, 0.2, 0.05], [0.9, 0.8, 0.1]])
    assert apply_thresholds(s, [0.5, 0.5, 0.5], min_predicted=1).tolist() == [[0, 1, 0], [1, 1, 0]]
    assert apply_thresholds(s, [0.5, 0.5, 0.5], min_predicted=0).tolist() == [[0, 0, 0], [1, 1, 0]]


def test_hamming_objective_hand_worked():
    y = np.array([[1, 0], [1, 0], [0, 0], [0, 1]])
    s = np.array([[0.9, 0.35], [0.4, 0.32], [0.6, 0.05], [0.1, 0.8]])
    # errors over 8 decisions: t=.3 -> 1 + 2 = 3; t=.5 -> 2 + 0 = 2; t=.7 -> 1 + 0 = 1: global .7
    # genre 0 alone: accuracy 3/4, 2/4, 3/4 -> tie .3/.7 resolves to .3, shrunk half-way to .7 -> .5
    th, global_t = tune_thresholds(y, s, GRID, min_positives=2, shrinkage=0.5, min_predicted=0,
                                   objective="hamming")
    assert global_t == 0.7
    assert th == pytest.approx([0.5, 0.7])
    with pytest.raises(ValueError, match="unknown threshold objective"):
        tune_thresholds(y, s, GRID, objective="accuracy")

"""Open-set metrics against values worked out by hand."""
import numpy as np
import pytest

from animeid.evaluate import open_set


def test_roc_auc_counts_ordered_pairs():
    # positives 0.9, 0.6, 0.4; negatives 0.5, 0.1: pairs above = 2 + 2 + 1 of 6
    assert open_set.roc_auc([0.9, 0.6, 0.4], [0.5, 0.1]) == pytest.approx(5 / 6)


def test_roc_auc_counts_ties_half():
    # positives 0.5, 0.8; negatives 0.5, 0.2: (0.5 tie 0.5) = 0.5, (0.5 > 0.2) = 1, 0.8 beats both = 2
    assert open_set.roc_auc([0.5, 0.8], [0.5, 0.2]) == pytest.approx(3.5 / 4)


def test_roc_auc_extremes_and_empty_side():
    assert open_set.roc_auc([1, 2], [0]) == 1.0
    assert open_set.roc_auc([0], [1, 2]) == 0.0
    with pytest.raises(ValueError, match="at least one positive and one negative"):
        open_set.roc_auc([0.3], [])


def test_even_prior_weights_give_each_side_half():
    w = open_set.even_prior_weights([False, False, False, True])
    # three enrolled-label queries share 0.5, the one stranger has 0.5
    assert w.tolist() == pytest.approx([1 / 6, 1 / 6, 1 / 6, 0.5])
    assert open_set.even_prior_weights([True, True]).tolist() == [0.5, 0.5]


def test_reliability_bins_by_hand():
    # bins of width 0.5: [0.2 wrong, 0.4 right] and [0.6 right, 0.8 right, 1.0 wrong]
    scores = [0.2, 0.4, 0.6, 0.8, 1.0]
    right = [False, True, True, True, False]
    low, high = open_set.reliability_bins(scores, right, bins=2)
    assert (low["count"], low["share"], low["mean_score"], low["right"]) == (2, pytest.approx(0.4), pytest.approx(0.3), 0.5)
    assert (high["count"], high["share"], high["mean_score"], high["right"]) == (3, pytest.approx(0.6), pytest.approx(0.8), pytest.approx(2 / 3))
    # ECE = 0.4 * |0.3 - 0.5| + 0.6 * |0.8 - 2/3| = 0.08 + 0.08
    assert open_set.expected_calibration_error(scores, right, bins=2) == pytest.approx(0.16)


def test_weighted_ece_by_hand():
    # one bin ([0, 1) with bins=1): scores 0.9 (right, weight 3) and 0.5 (wrong, weight 1)
    # weighted mean score (2.7 + 0.5) / 4 = 0.8, weighted share right 3/4: ECE 0.05
    assert open_set.expected_calibration_error([0.9, 0.5], [True, False], bins=1, weights=[3, 1]) == pytest.approx(0.05)


def test_a_score_that_means_what_it_says_has_zero_ece():
    scores = np.array([0.25] * 4 + [0.75] * 4)
    right = np.array([1, 0, 0, 0, 1, 1, 1, 0], dtype=bool)
    assert open_set.expected_calibration_error(scores, right, bins=4) == pytest.approx(0.0)


@pytest.mark.parametrize("scores, right, message", [
    ([1.2], [True], r"\[0, 1\]"),
    ([float("nan")], [True], r"\[0, 1\]"),
    ([0.5, 0.4], [True], "differ in length"),
    ([], [], "at least one score"),
])
def test_bad_inputs_are_refused(scores, right, message):
    with pytest.raises(ValueError, match=message):
        open_set.expected_calibration_error(scores, right)

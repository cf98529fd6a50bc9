"""Multi-label metrics against values worked out by hand."""
import numpy as np
import pytest

from animeid.evaluate import multilabel as m

Y = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]])
P = np.array([[1, 0, 0], [0, 1, 1], [1, 0, 0], [0, 0, 1]])
# per label: tp=(2,1,1) fp=(0,0,1) fn=(0,1,1) -> totals tp=4 fp=1 fn=2


def test_micro_scores_by_hand():
    assert m.micro_precision(Y, P) == pytest.approx(4 / 5)
    assert m.micro_recall(Y, P) == pytest.approx(4 / 6)
    assert m.micro_f1(Y, P) == pytest.approx(8 / 11)


def test_macro_hamming_subset_by_hand():
    # F1 per label: 1, 2/3, 1/2
    assert m.per_label_f1(Y, P) == pytest.approx([1.0, 2 / 3, 0.5])
    assert m.macro_f1(Y, P) == pytest.approx((1 + 2 / 3 + 0.5) / 3)
    assert m.hamming_loss(Y, P) == pytest.approx(3 / 12)
    assert m.subset_accuracy(Y, P) == pytest.approx(1 / 4)  # only the last row is exact
    assert m.macro_precision(Y, P) == pytest.approx((1 + 1 + 0.5) / 3)
    assert m.macro_recall(Y, P) == pytest.approx((1 + 0.5 + 0.5) / 3)


def test_average_precision_by_hand():
    # ranking: pos, neg, pos -> precisions at positives 1/1 and 2/3
    assert m.average_precision([1, 0, 1], [0.9, 0.8, 0.7]) == pytest.approx((1 + 2 / 3) / 2)
    # ties are pessimistic: the negative is ranked first
    assert m.average_precision([1, 0], [0.5, 0.5]) == pytest.approx(0.5)
    assert m.mean_average_precision([[1, 0], [0, 0]], [[0.9, 0.1], [0.2, 0.3]]) == pytest.approx(1.0)


def test_empty_denominators_are_zero_and_shapes_checked():
    z = np.zeros((2, 2), dtype=int)
    assert m.micro_f1(z, z) == 0.0
    assert m.micro_precision(z, z) == 0.0
    with pytest.raises(ValueError):
        m.micro_f1(z, np.zeros((2, 3)))


def test_per_label_table_rows():
    rows = m.per_label_table(Y, P, ["a", "b", "c"], thresholds=[0.1, 0.2, 0.3])
    assert rows[1] == {"genre": "b", "support": 2, "predicted": 1, "precision": 1.0, "recall": 0.5,
                       "f1": pytest.approx(2 / 3), "threshold": 0.2}

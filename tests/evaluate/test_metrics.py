"""Metrics checked against values worked out by hand."""
import numpy as np
import pytest

from animeid.evaluate import metrics

# truth / prediction over three classes, worked by hand:
#   a: 3 true, predicted a,a,b    b: 2 true, predicted b,c    c: 1 true, predicted c
TRUE = ["a", "a", "a", "b", "b", "c"]
PRED = ["a", "a", "b", "b", "c", "c"]


def test_accuracy_counts_exact_matches():
    assert metrics.accuracy(TRUE, PRED) == pytest.approx(4 / 6)


def test_confusion_rows_are_predicted_columns_true():
    m, labels = metrics.confusion_matrix(TRUE, PRED)
    assert labels == ["a", "b", "c"]
    # row b (predicted b) holds one true a and one true b
    assert m.tolist() == [[2, 0, 0], [1, 1, 0], [0, 1, 1]]
    assert m.sum() == 6


def test_per_class_precision_recall_f1():
    rows = {r["label"]: r for r in metrics.per_class_prf(TRUE, PRED)}
    # a: tp 2, predicted 2, support 3 -> P 1, R 2/3, F1 0.8
    assert rows["a"]["precision"] == pytest.approx(1.0)
    assert rows["a"]["recall"] == pytest.approx(2 / 3)
    assert rows["a"]["f1"] == pytest.approx(0.8)
    # b: tp 1, predicted 2, support 2 -> P 0.5, R 0.5, F1 0.5
    assert rows["b"]["f1"] == pytest.approx(0.5)
    # c: tp 1, predicted 2, support 1 -> P 0.5, R 1, F1 2/3
    assert rows["c"]["precision"] == pytest.approx(0.5)
    assert rows["c"]["f1"] == pytest.approx(2 / 3)
    assert [rows[k]["support"] for k in "abc"] == [3, 2, 1]


def test_macro_f1_is_unweighted_mean():
    assert metrics.macro_f1(TRUE, PRED) == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)


def test_macro_f1_matches_sklearn():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(1)
    t = rng.integers(0, 5, 200)
    p = np.where(rng.random(200) < 0.6, t, rng.integers(0, 5, 200))
    assert metrics.macro_f1(t, p) == pytest.approx(f1_score(t, p, average="macro"))


def test_top_k_from_scores():
    scores = np.array([[0.1, 0.7, 0.2],   # ranks b, c, a
                       [0.5, 0.3, 0.2],   # ranks a, b, c
                       [0.2, 0.3, 0.5]])  # ranks c, b, a
    ranked = metrics.ranked_labels(scores, ["a", "b", "c"])
    assert ranked[0] == ["b", "c", "a"]
    truth = ["a", "b", "c"]
    assert metrics.top_k_accuracy(truth, ranked, k=1) == pytest.approx(1 / 3)
    assert metrics.top_k_accuracy(truth, ranked, k=2) == pytest.approx(2 / 3)
    assert metrics.top_k_accuracy(truth, ranked, k=3) == pytest.approx(1.0)


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError):
        metrics.accuracy([1, 2], [1])


def test_answers_outside_the_scored_labels_still_count_as_misses():
    """Truth 'A' four times, answered A once and X (a class the test set lacks) three times:
    A has precision 1/1, recall 1/4, F1 2 * 1 * 0.25 / 1.25 = 0.4 -- not 1.0. X is predicted but
    never true, F1 0, and the macro-F1 averages over both: (0.4 + 0) / 2 = 0.2."""
    rows = metrics.per_class_prf(["A"] * 4, ["A", "X", "X", "X"], ["A"])
    assert rows == [{"label": "A", "precision": 1.0, "recall": 0.25, "f1": pytest.approx(0.4), "support": 4}]
    assert metrics.summary(["A"] * 4, ["A", "X", "X", "X"])["macro_f1"] == pytest.approx(0.2)
    from sklearn.metrics import f1_score
    assert f1_score(["A"] * 4, ["A", "X", "X", "X"], labels=["A"], average="macro") == pytest.approx(0.4)


def test_reports_are_written_with_the_usual_file_mode(tmp_path):
    import os
    import stat

    from animeid.output_folders import write_text_atomic

    write_text_atomic(tmp_path / "report.json", "{}")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "report.json").stat().st_mode) == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]

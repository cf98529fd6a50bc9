"""What the report says beside its figures: macro-F1 over the labels the per-class table averages,
per-fold spread, and plot labels that stay distinct and drawable."""
import warnings

import numpy as np
import pytest

from animeid.evaluate import metrics, plots

# "c" is a trained class the test set lacks, predicted twice (worked by hand):
#   a: tp 2, predicted 2, support 3 -> F1 2*1*(2/3)/(5/3) = 0.8
#   b: tp 1, predicted 1, support 2 -> P 1, R 0.5, F1 2/3
#   c: tp 0, predicted 2, support 0 -> F1 0
TRUE = ["a", "a", "a", "b", "b"]
PRED = ["a", "a", "c", "b", "c"]


def test_macro_f1_averages_over_true_and_predicted_labels():
    s = metrics.summary(TRUE, PRED)
    assert s["macro_f1"] == pytest.approx((0.8 + 2 / 3 + 0) / 3)
    assert s["macro_f1_n_labels"] == 3


def test_macro_f1_matches_sklearn_and_the_per_class_table():
    from sklearn.metrics import f1_score

    rows = metrics.per_class_prf(TRUE, PRED, ["a", "b", "c", "d"])  # the table lists every class, "d" unused
    used = [r["f1"] for r in rows if r["label"] in set(TRUE) | set(PRED)]
    assert metrics.summary(TRUE, PRED)["macro_f1"] == pytest.approx(np.mean(used))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns about c's undefined recall
        expected = f1_score(TRUE, PRED, average="macro", zero_division=0)
    assert metrics.macro_f1(TRUE, PRED) == pytest.approx(expected)


def test_per_fold_figures_and_their_spread():
    # fold 1: a->a, b->b: accuracy 1, macro-F1 1; fold 2: a->b, b->b: accuracy 0.5,
    # macro-F1 (0 + 2/3) / 2 = 1/3 (b: P 1/2, R 1, F1 2/3)
    r = metrics.per_fold(["a", "b", "a", "b"], ["a", "b", "b", "b"], [1, 1, 2, 2])
    assert [f["accuracy"] for f in r["folds"]] == [1.0, 0.5]
    assert r["folds"][1]["macro_f1"] == pytest.approx(1 / 3)
    assert r["accuracy_mean"] == pytest.approx(0.75) and r["accuracy_std"] == pytest.approx(0.25)
    assert r["macro_f1_mean"] == pytest.approx(2 / 3) and r["macro_f1_std"] == pytest.approx(1 / 3)


def test_long_labels_stay_distinct_with_a_middle_ellipsis():
    labels = ["long_character_name_from_series_one", "long_character_name_from_series_two", "short"]
    shown = plots.display_labels(labels)
    assert len(set(shown)) == 3 and all(len(s) <= plots.LABEL_WIDTH for s in shown)
    assert shown[0].endswith("series_one") and shown[0].startswith("long_") and "…" in shown[0]
    assert shown[2] == "short"


def test_labels_that_still_collide_get_their_position():
    labels = ["x" * 30 + "y" + "x" * 30, "x" * 30 + "z" + "x" * 30]  # differ only in the middle
    shown = plots.display_labels(labels)
    assert shown[0] != shown[1] and shown[0].startswith("#1 ") and shown[1].startswith("#2 ")


def test_glyphs_the_font_lacks_become_the_labels_position(monkeypatch):
    monkeypatch.setattr(plots, "_renderable", lambda: frozenset(range(0x3000)))  # no CJK, as with DejaVu alone
    shown = plots.display_labels(["red", "春野サクラ é. v1.0", "桜"])
    assert shown == ["red", "#2 é. v1.0", "#3"]


@pytest.fixture
def drawn(monkeypatch):
    figures = []

    def keep(plt, fig, path):
        fig.canvas.draw()  # what savefig does: lays the text out, where glyph warnings come from
        figures.append(fig)
        return path

    monkeypatch.setattr(plots, "_save", keep)
    return figures


def test_cjk_labels_draw_without_glyph_warnings(drawn, tmp_path, capfd):
    labels = ["春野サクラ", "うずまきナルト", "red"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plots.confusion_matrix_png(np.eye(3, dtype=int), labels, tmp_path / "c.png")
        plots.scatter_by_label(np.arange(12.0).reshape(6, 2), [labels[i % 3] for i in range(6)], tmp_path / "s.png")
    assert not [w for w in caught if "Glyph" in str(w.message)]
    assert "Glyph" not in capfd.readouterr().err
    ticks = [t.get_text() for t in drawn[0].axes[0].get_xticklabels()]
    assert len(set(ticks)) == 3


def test_confusion_colour_bar_has_whole_number_ticks(drawn, tmp_path):
    plots.confusion_matrix_png(np.array([[2, 0], [1, 1]]), ["a", "b"], tmp_path / "c.png")
    bar = drawn[0].axes[1]
    ticks = [t for t in bar.get_yticks() if 0 <= t <= 2]
    assert ticks and all(float(t).is_integer() for t in ticks)


def _result(**metrics_extra):
    return {"method": "linear", "data": "synthetic", "method_detail": "x",
            "metrics": {"accuracy": 0.5, "top5_accuracy": 1.0, "macro_f1": 0.4, "macro_f1_n_labels": 3,
                        **metrics_extra},
            "baseline": {"accuracy": 0.4, "top5_accuracy": 1.0, "macro_f1": 0.3},
            "baseline_description": "b", "timings_seconds": {},
            "per_class": [{"label": "a", "precision": 1, "recall": 1, "f1": 1, "support": 1, "in_macro_f1": True},
                          {"label": "d", "precision": 0, "recall": 0, "f1": 0, "support": 0, "in_macro_f1": False}]}


def test_markdown_says_what_the_figures_are_over():
    from animeid.evaluate.report import markdown

    md = markdown(_result(top5_trivial=True), {})
    assert "mean F1 over the 3 labels that are true or predicted" in md
    assert "| d | 0.000 | 0.000 | 0.000 | 0 | no |" in md
    assert "top5 accuracy is trivial here" in md
    assert "trivial" not in markdown(_result(top5_trivial=False), {})

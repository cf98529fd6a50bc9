"""Baselines by hand, cross-validation bookkeeping and pseudo-labelling on synthetic features."""
import numpy as np
import pytest

from animeid.genres.config import GenreCfg
from animeid.genres.crossval import cross_validate, default_fit, most_frequent_baseline, prior_baseline
from animeid.genres.pseudo_labels import fit_with_pseudo_labels, pseudo_label
from animeid.genres.training import fit_genres
from tests.genres.toy_genres import toy_genres

CFG = GenreCfg(embedders=("efficientnet-lite0",), inner_folds=3)


def _toy(seed=0, n=60, d=12):
    return toy_genres(seed, n, d)


def test_most_frequent_baseline_by_hand():
    # frequencies .75 .5 .25; predicting {0}: tp3 fp1 fn3 -> 6/10; {0,1}: tp5 fp3 fn1 -> 10/14 (best);
    # {0,1,2}: tp6 fp6 fn0 -> 12/18
    y = np.array([[1, 1, 0], [1, 0, 1], [1, 1, 0], [0, 0, 0]])
    pred, scores = most_frequent_baseline(y, 2)
    assert pred.tolist() == [[1, 1, 0], [1, 1, 0]]
    assert scores[0] == pytest.approx([0.75, 0.5, 0.25])


def test_prior_baseline_matches_frequencies():
    y = np.zeros((10, 2), dtype=np.uint8)
    y[:8, 0] = 1
    pred, _ = prior_baseline(y, 4000, seed=0)
    assert pred[:, 0].mean() == pytest.approx(0.8, abs=0.03) and pred[:, 1].sum() == 0


def test_cross_validate_reports_model_and_baselines():
    x, y = _toy()
    report = cross_validate(y, ["a", "b", "c"], {"model": default_fit(x, CFG)}, CFG, n_folds=3)
    res = report["results"]
    assert set(res) == {"model", "most_frequent", "prior"}
    assert len(res["model"]["micro_f1_per_fold"]) == 3
    assert res["model"]["micro_f1"] > res["most_frequent"]["micro_f1"] + 0.2
    assert [r["genre"] for r in res["model"]["per_genre"]] == ["a", "b", "c"]
    assert sum(r["support"] for r in res["model"]["per_genre"]) == int(y.sum())
    curve = res["model"]["threshold_curve"]
    assert len(curve["thresholds"]) == len(curve["micro_f1"]) == 45


def test_pseudo_labels_keep_only_confident_posters():
    x, y = _toy()
    fitted = fit_genres(x, y, CFG)
    xu, yu = _toy(seed=5, n=30)
    labels, keep = pseudo_label(fitted, xu, confidence=0.7)
    scores = fitted.predictor.scores(xu)
    assert keep.tolist() == np.flatnonzero(scores.max(axis=1) >= 0.7).tolist()
    assert labels.shape == (len(keep), 3) and (labels.sum(axis=1) >= 1).all()
    assert (labels == yu[keep]).mean() > 0.8  # confident labels are mostly right on this easy toy
    refit, adopted = fit_with_pseudo_labels(x, y, xu, CFG.replace(pseudo_confidence=0.7), fitted)
    assert adopted == len(keep) and refit.predictor.memory_x.shape[0] == len(x) + adopted
    _, none = fit_with_pseudo_labels(x, y, xu, CFG.replace(pseudo_confidence=1.0), fitted)
    assert none == 0

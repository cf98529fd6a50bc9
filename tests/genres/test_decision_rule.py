"""The genre cap: hand-worked decisions, the cap resolved from training labels, tuning with the cap
applied, and a saved model keeping its cap (models saved before the cap existed have none)."""
import json

import numpy as np
import pytest

from animeid.errors import AnimeidError
from animeid.genres.config import GenreCfg
from animeid.genres.decision_rule import DecisionRule, resolve_max_predicted
from animeid.genres.thresholds import apply_thresholds, tune_global_threshold


def test_cap_keeps_only_the_top_genres_above_threshold():
    s = np.array([[0.9, 0.8, 0.7, 0.1],
                  [0.2, 0.3, 0.1, 0.25]])
    # threshold .5: row 0 -> 1 1 1 0, capped at 2 -> 1 1 0 0; row 1 -> nothing, top-1 rule -> genre 1
    assert apply_thresholds(s, 0.5, 1, 2).tolist() == [[1, 1, 0, 0], [0, 1, 0, 0]]
    # no cap (0) and a cap wider than the vocabulary change nothing
    assert apply_thresholds(s, 0.5, 1, 0).tolist() == [[1, 1, 1, 0], [0, 1, 0, 0]]
    assert apply_thresholds(s, 0.5, 1, 9).tolist() == [[1, 1, 1, 0], [0, 1, 0, 0]]
    # per-genre thresholds: genre 0 needs .95, so row 0 passes genres 1 and 2; the cap of 2 keeps only
    # the row's two best genres (0 and 1), so genre 2 goes; min_predicted = 0 leaves row 1 empty.
    # And min_predicted wins over a tighter cap only in the sense that the top genre is always kept:
    assert apply_thresholds(s, [0.95, 0.5, 0.5, 0.5], 0, 2).tolist() == [[0, 1, 0, 0], [0, 0, 0, 0]]
    assert DecisionRule(np.array([0.5] * 4), 1, 1).apply(s).tolist() == [[1, 0, 0, 0], [0, 1, 0, 0]]


def test_cap_resolved_from_training_labels():
    y = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 1], [0, 1, 0]])  # 2, 1, 3, 1 genres: mean 1.75 -> 2
    assert resolve_max_predicted(-1, y) == 2
    assert resolve_max_predicted(-1, np.array([[1, 1], [1, 1]])) == 2  # exactly 2.0 stays 2
    assert resolve_max_predicted(0, y) == 0
    assert resolve_max_predicted(3, y) == 3


def test_bad_cap_is_refused():
    with pytest.raises(AnimeidError, match="genres per poster"):
        GenreCfg(max_predicted=-2)


def test_global_threshold_is_tuned_with_the_cap_applied():
    y = np.array([[1, 0, 0], [0, 1, 0]])
    s = np.array([[0.9, 0.6, 0.4], [0.35, 0.8, 0.3]])
    grid = [0.3, 0.5, 0.7]
    # no cap, min 1: t=.3 -> 3+3 predicted, tp2 -> F1 4/8; t=.5 -> 2+1, tp2 -> 4/5; t=.7 -> 1+1 -> 1
    assert tune_global_threshold(y, s, grid, 1, "micro_f1", 0) == 0.7
    # cap 1: every threshold predicts the top genre only -> F1 1 everywhere -> the middle of the plateau
    assert tune_global_threshold(y, s, grid, 1, "micro_f1", 1) == 0.5


def test_fitted_model_keeps_its_cap(tmp_path):
    from animeid.genres.genre_model import GenreModel
    from animeid.genres.genre_vocabulary import GenreVocabulary
    from animeid.genres.training import fit_genres

    rng = np.random.default_rng(0)
    x = np.zeros((40, 1280), dtype=np.float32)  # efficientnet-lite0's dimension, as a saved model needs
    x[:, :8] = rng.normal(size=(40, 8))
    y = (x[:, :4] > 0.0).astype(np.uint8)
    y[y.sum(axis=1) == 0, 0] = 1
    cfg = GenreCfg(embedders=("efficientnet-lite0",), inner_folds=3)
    fitted = fit_genres(x, y, cfg)
    assert fitted.max_predicted == int(np.ceil(y.sum(axis=1).mean()))
    assert fitted.decision.apply(fitted.predictor.scores(x)).sum(axis=1).max() <= fitted.max_predicted
    assert fit_genres(x, y, cfg.replace(max_predicted=0)).max_predicted == 0
    model = GenreModel(cfg, GenreVocabulary(list("abcd")), fitted.predictor, fitted.thresholds,
                       fitted.global_threshold, info={}, max_predicted=1)
    model.save(tmp_path / "m")
    loaded = GenreModel.load(tmp_path / "m")
    assert loaded.max_predicted == 1
    assert all(len(r["predicted"]) == 1 for r in loaded.predict_features(x))
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    del meta["max_predicted"]  # a model saved before the cap existed
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    assert GenreModel.load(tmp_path / "m").max_predicted == 0

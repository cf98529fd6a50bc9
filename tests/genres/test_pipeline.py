"""The train/eval stages on synthetic per-embedder features: unlabelled posters are stacked with
the embedders the Optuna search chose, and fold counts are checked."""
import numpy as np
import pytest

from animeid.errors import AnimeidError
from animeid.genres.config import GenreCfg
from animeid.genres.genre_model import GenreModel
from animeid.genres.genre_vocabulary import GenreVocabulary
from animeid.genres.pipeline import PreparedPosters, evaluate, train_model
from animeid.genres.poster_set import PosterSet
from tests.genres.toy_genres import toy_genres

CFG = GenreCfg(embedders=("color-layout", "efficientnet-lite0"), inner_folds=3, pseudo_confidence=0.0)


def _prepared(tmp_path, n=30):
    rng = np.random.default_rng(0)
    x, y = toy_genres(0, n, 8, width=33)
    blocks = {"color-layout": x, "efficientnet-lite0": rng.normal(size=(n, 1280)).astype(np.float32)}
    xu, _ = toy_genres(5, 6, 8, width=33)
    unlabelled = {"color-layout": xu, "efficientnet-lite0": rng.normal(size=(6, 1280)).astype(np.float32)}
    return PreparedPosters(PosterSet(tmp_path / "p.csv"), GenreVocabulary(["a", "b", "c"]), y, blocks), unlabelled


def test_unlabelled_follow_the_embedders_the_search_chose(tmp_path, monkeypatch):
    import animeid.genres.search as search

    prep, unlabelled = _prepared(tmp_path)
    # The search picks one of the two embedders (what used to broadcast (6, 1313) against (33,)).
    monkeypatch.setattr(search, "search_cfg",
                        lambda blocks, y, base, n: (base.replace(embedders=("color-layout",)), 0.5, [{}] * n))
    model = train_model(prep, CFG, unlabelled, search_trials=3)
    assert model.cfg.embedders == ("color-layout",)
    assert model.info["pseudo_labelled"] == 6  # confidence 0 adopts every unlabelled poster
    assert model.predictor.memory_x.shape == (30 + 6, 33)
    loaded = GenreModel.load(model.save(tmp_path / "m"))  # and the arrays fit the chosen embedder
    assert loaded.predictor.scores(unlabelled["color-layout"]).shape == (6, 3)


def test_evaluate_with_unlabelled_blocks(tmp_path):
    prep, unlabelled = _prepared(tmp_path)
    report = evaluate(prep, CFG.replace(embedders=("color-layout",)), 2, unlabelled)
    assert {"model", "model+pseudo_labels"} <= set(report["results"]) and report["folds"] == 2


def test_fold_and_search_counts_checked(tmp_path):
    prep, _ = _prepared(tmp_path, n=12)
    for folds in (1, 0, -3):
        with pytest.raises(AnimeidError, match="at least 2 folds"):
            evaluate(prep, CFG, folds)
    with pytest.raises(AnimeidError, match="--search -1"):
        evaluate(prep, CFG, 2, search_trials=-1)
    report = evaluate(prep, CFG.replace(embedders=("color-layout",)), 50)
    assert report["folds"] == 12 and "--folds 50 lowered to 12: there are only 12 posters" in report["notes"]

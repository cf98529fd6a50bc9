"""Training on synthetic features, save/load round trip, and refusing foreign models."""
import json

import numpy as np
import pytest

from animeid.genres.config import GenreCfg
from animeid.genres.errors import IncompatibleGenreModel
from animeid.genres.genre_model import GenreModel
from animeid.genres.genre_vocabulary import GenreVocabulary
from animeid.genres.training import fit_genres
from tests.genres.toy_genres import LITE0_DIM, toy_genres

CFG = GenreCfg(embedders=("efficientnet-lite0",), inner_folds=3, knn_weight=0.3)


def _toy(seed=0, n=60, d=16):
    return toy_genres(seed, n, d, width=LITE0_DIM)


@pytest.fixture(scope="module")
def toy_model():
    x, y = _toy()
    fitted = fit_genres(x, y, CFG)
    vocab = GenreVocabulary(["Action", "Drama", "Comedy"], y.sum(axis=0).tolist())
    return GenreModel(CFG, vocab, fitted.predictor, fitted.thresholds, fitted.global_threshold), x, y


def test_learns_the_toy_problem(toy_model):
    from animeid.evaluate.multilabel import micro_f1
    from animeid.genres.thresholds import apply_thresholds

    model, _, _ = toy_model
    xt, yt = _toy(seed=1)
    pred = apply_thresholds(model.predictor.scores(xt), model.thresholds, 1)
    assert micro_f1(yt, pred) > 0.8
    assert model.thresholds.shape == (3,) and ((model.thresholds > 0) & (model.thresholds < 1)).all()


def test_save_load_round_trip(toy_model, tmp_path):
    model, x, _ = toy_model
    model.save(tmp_path / "m")
    loaded = GenreModel.load(tmp_path / "m")
    assert loaded.genres == ["Action", "Drama", "Comedy"]
    assert np.allclose(loaded.predictor.scores(x[:5]), model.predictor.scores(x[:5]))
    out = loaded.predict_features(x[:2])
    assert [g["genre"] for g in out[0]["genres"]] and len(out[0]["genres"]) == 3
    assert set(out[0]["predicted"]) <= {"Action", "Drama", "Comedy"} and out[0]["predicted"]
    model.save(tmp_path / "m")  # overwriting a model folder is allowed (atomically)
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["arrays.npz", "model.json"]


def test_mlp_head_with_focal_loss_round_trip(tmp_path):
    x, y = _toy(2)
    cfg = CFG.replace(head="mlp", loss="focal", hidden=16, epochs=60, knn_weight=0.0)
    fitted = fit_genres(x, y, cfg)
    model = GenreModel(cfg, GenreVocabulary(["a", "b", "c"]), fitted.predictor, fitted.thresholds, 0.3)
    model.save(tmp_path / "mlp")
    assert np.allclose(GenreModel.load(tmp_path / "mlp").predictor.scores(x), fitted.predictor.scores(x), atol=1e-6)


def test_refuses_model_trained_with_another_embedder(toy_model, tmp_path):
    model, _, _ = toy_model
    model.save(tmp_path / "m")
    with pytest.raises(IncompatibleGenreModel, match="trained with embedder\\(s\\) efficientnet-lite0, not 'color-layout'"):
        GenreModel.load(tmp_path / "m", embedder="color-layout")
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    meta["embedders"][0]["weights_sha256"] = "0" * 64
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    with pytest.raises(IncompatibleGenreModel, match="another 'efficientnet-lite0' embedder .*weights_sha256"):
        GenreModel.load(tmp_path / "m")
    meta["embedders"][0]["name"] = meta["cfg"]["embedders"][0] = "my-own-embedder"
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    with pytest.raises(IncompatibleGenreModel, match="'my-own-embedder', which is not available here"):
        GenreModel.load(tmp_path / "m")


def test_not_a_model_folder(tmp_path):
    with pytest.raises(IncompatibleGenreModel, match="not a genre model"):
        GenreModel.load(tmp_path)
    (tmp_path / "keep.txt").write_text("precious")
    x, y = _toy()
    fitted = fit_genres(x, y, CFG)
    model = GenreModel(CFG, GenreVocabulary(["a", "b", "c"]), fitted.predictor, fitted.thresholds, 0.3)
    with pytest.raises(IncompatibleGenreModel, match="refusing to overwrite"):
        model.save(tmp_path)
    assert (tmp_path / "keep.txt").read_text() == "precious"

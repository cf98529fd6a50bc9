"""`GenreModel.predict_many` takes any iterable of images, once; a single image or a `names` list
of another length is refused in one line instead of giving empty, per-character or IndexError
results. A tiny model on the colour-layout embedder (33-d, no weights) and generated posters."""
from pathlib import Path

import numpy as np
import pytest

from animeid.errors import AnimeidError
from animeid.genres.config import GenreCfg
from animeid.genres.genre_model import GenreModel
from animeid.genres.genre_vocabulary import GenreVocabulary
from animeid.genres.training import fit_genres
from tests.genres.toy_genres import COLOURS, toy_genres, write_png

CFG = GenreCfg(embedders=("color-layout",), inner_folds=3, knn_weight=0.0)


@pytest.fixture(scope="module")
def model():
    x, y = toy_genres(0, 60, 16, width=33)
    fitted = fit_genres(x, y, CFG)
    return GenreModel(CFG, GenreVocabulary(list(COLOURS)), fitted.predictor, fitted.thresholds, 0.5)


@pytest.fixture
def posters(tmp_path, monkeypatch):
    monkeypatch.setenv("ANIMEID_CACHE", str(tmp_path / "cache"))
    return [write_png(tmp_path / f"{i}.png", rgb, i) for i, rgb in enumerate(COLOURS.values())]


def test_a_generator_gives_the_same_results_as_a_list(model, posters):
    listed = model.predict_many(posters)
    generated = model.predict_many(p for p in posters)
    assert [r["image"] for r in generated] == [str(p) for p in posters]
    assert all(r["error"] is None and r["predicted"] and len(r["genres"]) == 3 for r in generated)
    assert generated == listed


def test_names_of_a_generator_are_used(model, posters):
    out = model.predict_many(iter(posters), names=iter(["a", "b", "c"]))
    assert [r["image"] for r in out] == ["a", "b", "c"] and all(r["predicted"] for r in out)


@pytest.mark.parametrize("single", ["str", "path", "bytes", "array"])
def test_a_single_image_is_refused(model, posters, single):
    image = {"str": str(posters[0]), "path": Path(posters[0]), "bytes": posters[0].read_bytes(),
             "array": np.zeros((32, 32, 3), np.uint8)}[single]
    with pytest.raises(AnimeidError, match=r"^predict_many takes a list of images, not a single .*predict\(image\)"):
        model.predict_many(image)


def test_names_of_another_length_are_refused(model, posters):
    with pytest.raises(AnimeidError, match=r"got 3 image\(s\) but 2 name\(s\)"):
        model.predict_many(posters, names=["a", "b"])
    with pytest.raises(AnimeidError, match="not a single str"):
        model.predict_many(posters[:1], names="a.png")

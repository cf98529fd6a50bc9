"""POST /genres with a real (tiny) genre model: three colour 'genres' learned from colour-layout
features of generated images, so the right answer is known by construction."""
from __future__ import annotations

import io

import numpy as np
import pytest

pytest.importorskip("animeid.genres.genre_model")

from tests.service.conftest import COLOURS, colour_image as _image  # noqa: E402


def _png(img: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def test_genres_endpoint_answers_what_the_model_predicts(make_settings, genre_model_dir):
    from fastapi.testclient import TestClient

    from animeid.genres.genre_model import GenreModel
    from animeid.service.app import create_app

    query = _image(COLOURS["Drama"], seed=99)
    with TestClient(create_app(make_settings(genre_model=genre_model_dir))) as c:
        assert c.get("/health").json()["capabilities"]["genres"] is True
        r = c.post("/genres", files={"image": ("poster.png", _png(query), "image/png")})
        assert r.status_code == 200, r.text
        answer = r.json()
        bad = c.post("/genres", content=b"not an image")
    assert answer["predicted"] == ["Drama"]
    assert [g["genre"] for g in answer["genres"]][0] == "Drama"
    direct = GenreModel.load(genre_model_dir).predict(query)
    assert answer["genres"] == direct["genres"]
    assert bad.status_code == 400 and "not a readable image" in bad.json()["error"]


def test_a_damaged_genre_model_is_refused_at_start(make_settings, tmp_path):
    from animeid.errors import AnimeidError
    from animeid.service.backends import Backends

    (tmp_path / "model.json").write_text("{broken")
    with pytest.raises(AnimeidError, match="damaged"):
        Backends(make_settings(genre_model=tmp_path))

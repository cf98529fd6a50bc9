"""Fixtures for the service: a small generated index (session-scoped: built once, ~3 s), an app
per settings, and a real uvicorn server on a free loopback port."""
from __future__ import annotations

import io
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from animeid.config import IndexCfg
from animeid.media.video import frame_at
from animeid.scenes.indexer import index_library

API_KEY = "test-key-0123456789"


@pytest.fixture(scope="session")
def shared_db(shared_data, tmp_path_factory) -> Path:
    """The shared real clips, indexed once per session (~10 s on 2 cores)."""
    db = tmp_path_factory.mktemp("shared-db") / "index"
    report = index_library(shared_data / "video", db, IndexCfg(), progress=False)
    assert not report.failed
    return db


def jpeg_of_frame(video: Path, t: float, quality: int = 90) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(frame_at(video, t)).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


@pytest.fixture(scope="session")
def alpha2_jpeg(scene_library) -> bytes:
    """A frame 2.3 s into Alpha episode 2, never sampled exactly (frames are sampled every 0.5 s)."""
    return jpeg_of_frame(scene_library / "Alpha" / "Alpha - 02.mp4", 2.3)


@pytest.fixture
def make_settings(scene_db, tmp_path):
    from animeid.service.settings import load_settings

    def make(**overrides):
        values = {"db": scene_db, "api_key": API_KEY, "preview_dir": tmp_path / "previews"}
        values.update(overrides)
        return load_settings(**values)

    return make


@pytest.fixture
def client(make_settings):
    from fastapi.testclient import TestClient

    from animeid.service.app import create_app

    with TestClient(create_app(make_settings()), raise_server_exceptions=False) as c:
        yield c


class LiveServer:
    """uvicorn serving `app` (from `create_app`) from a thread on a socket bound to a free loopback
    port, configured as `animeid serve` configures it."""

    def __init__(self, app):
        import uvicorn

        from animeid.service.run import uvicorn_config

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn_config(app, app.state.settings, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture
def live_server():
    """Factory: `with live_server(app) as server: httpx.get(server.url + ...)`."""
    return LiveServer


COLOURS = {"Action": [200, 40, 40], "Comedy": [40, 200, 40], "Drama": [40, 40, 200]}


def colour_image(rgb, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(rgb, 30, (64, 64, 3)), 0, 255).astype(np.uint8)


@pytest.fixture(scope="session")
def genre_model_dir(tmp_path_factory) -> Path:
    """A real, tiny genre model: three colour 'genres' learned from colour-layout features of
    generated images, so the right answer is known by construction (~1 s)."""
    pytest.importorskip("animeid.genres.genre_model")
    from animeid.genres.config import GenreCfg
    from animeid.genres.embeddings import embed_images
    from animeid.genres.genre_model import GenreModel
    from animeid.genres.genre_predictor import GenrePredictor
    from animeid.genres.genre_vocabulary import GenreVocabulary

    cfg = GenreCfg(embedders=("color-layout",), views=("full",), knn_k=3)
    images, rows = [], []
    for seed in range(4):
        for j, rgb in enumerate(COLOURS.values()):
            images.append(colour_image(rgb, seed))
            rows.append(np.eye(3, dtype=int)[j])
    x = embed_images(images, cfg.embedders, cfg.views)
    model = GenreModel(cfg, GenreVocabulary(list(COLOURS)), GenrePredictor(cfg).fit(x, np.array(rows)),
                       np.full(3, 0.5), 0.5)
    return model.save(tmp_path_factory.mktemp("genres") / "model")

"""Shared fixtures. Real anime material is read from ../shared/data and never copied here; tests
that need it are marked `shared_data` and skip when it is absent, so the default command passes
anywhere while `.ci/run` (which always has ../shared) runs them too."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

# the web page's browser and servers, shared by every browser test module
pytest_plugins = ["tests.service.browser_page"]

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("ANIMEID_SHARED_DATA", ROOT.parent / "shared" / "data"))


def pytest_collection_modifyitems(config, items):
    if SHARED_DATA.is_dir():
        return
    skip = pytest.mark.skip(reason=f"real data not found at {SHARED_DATA}")
    for item in items:
        if "shared_data" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def scene_library(tmp_path_factory) -> Path:
    """Two titles, three generated files. Shared by every test session-wide: copy before changing."""
    from tests.videos import make_library

    return make_library(tmp_path_factory.mktemp("scene-lib"))


@pytest.fixture(scope="session")
def scene_db(scene_library, tmp_path_factory) -> Path:
    """The default index of `scene_library`; copy before changing."""
    from animeid.config import IndexCfg
    from animeid.scenes.indexer import index_library

    db = tmp_path_factory.mktemp("scene-db") / "index"
    report = index_library(scene_library, db, IndexCfg(), progress=False)
    assert not report.failed and len(report.added) == 3
    return db


@pytest.fixture(scope="session")
def sharded_scene_db(scene_library, tmp_path_factory) -> Path:
    """`scene_library` indexed as 2 shards (Alpha 01 and Beta in shard 0, Alpha 02 in shard 1);
    copy before changing."""
    from animeid.config import IndexCfg
    from animeid.distribute.index_shards import index_shards

    db = tmp_path_factory.mktemp("sharded-db") / "db"
    reports = index_shards(scene_library, db, IndexCfg(), shards=2)
    assert len(reports) == 2 and not any(r.failed for r in reports)
    return db


@pytest.fixture
def no_embedding(monkeypatch):
    """Fail the test if anything is embedded: the checks under test must come first."""
    import animeid.genres.embeddings as embeddings

    def refuse(*a, **k):
        raise AssertionError("posters were embedded before the bad input was refused")

    monkeypatch.setattr(embeddings, "embed_files", refuse)

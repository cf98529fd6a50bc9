"""`Backends`: a search goes through the index's own query preparation (the CLI's code path, so
a large upload is shrunk while decoding and answers exactly as `animeid search` does), with the
service's own limits on pixels, sharded or not."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from animeid.errors import BadImage
from animeid.scenes.index import Index
from animeid.service.backends import Backends


def _encode(arr: np.ndarray, fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format=fmt, quality=92)
    return buf.getvalue()


@pytest.fixture(scope="module")
def big_jpeg(alpha2_jpeg) -> bytes:
    """The Alpha 02 frame as a 1600x1200 JPEG: large enough that the query is decoded at reduced scale."""
    frame = Image.open(io.BytesIO(alpha2_jpeg)).convert("RGB").resize((1600, 1200), Image.BICUBIC)
    return _encode(np.asarray(frame), "JPEG")


def test_a_large_upload_answers_exactly_like_the_cli(client, scene_db, big_jpeg):
    index = Index.load(scene_db)
    expected = [h.to_dict() for h in index.search(big_jpeg, k=3)]
    assert expected[0]["title"] == "Alpha" and expected[0]["episode"] == 2
    r = client.post("/search?k=3", content=big_jpeg)
    assert r.status_code == 200, r.text
    got = [{k: v for k, v in x.items() if k not in ("thumbnail", "video")} for x in r.json()["results"]]
    assert got == expected        # same similarities to the last digit: one query preparation


def test_the_index_decodes_with_the_service_limits(make_settings, sharded_scene_db, big_jpeg):
    assert make_settings().max_image_pixels == 40_000_000
    for db in (None, sharded_scene_db):
        settings = make_settings(max_image_pixels=1_000_000) if db is None else \
            make_settings(db=db, max_image_pixels=1_000_000)
        backends = Backends(settings)
        try:
            with pytest.raises(BadImage, match="1600x1200, above the 1,000,000-pixel limit"):
                backends.search(big_jpeg, 3, None, True)
            small = Image.open(io.BytesIO(big_jpeg)).resize((800, 600))
            hits = backends.search(_encode(np.asarray(small), "PNG"), 1, None, True)
            assert hits[0].title == "Alpha"
        finally:
            backends.close()


def test_the_pixel_cap_is_a_json_400(make_settings, big_jpeg):
    from fastapi.testclient import TestClient

    from animeid.service.app import create_app

    with TestClient(create_app(make_settings(max_image_pixels=1_000_000))) as c:
        r = c.post("/search", content=big_jpeg)
    assert r.status_code == 400 and "pixel limit" in r.json()["error"]


def test_frame_placement_can_be_switched_off_for_the_service(make_settings, scene_db, tmp_path):
    """Off (`serve --no-frames`, or `frame_placement = false` in the TOML file), /search answers as
    `animeid search --no-frames` does; on (the default), as `animeid search` does."""
    from animeid.config import SearchCfg
    from animeid.service.settings import load_settings
    from tests.videos import scene_frame

    shot = _encode(np.ascontiguousarray(scene_frame(1, 1.3)[12:132, 16:176]), "PNG")   # Alpha 01, cropped
    index = Index.load(scene_db)
    placed = index.search(shot, k=1)[0]
    index_only = index.search(shot, k=1, cfg=SearchCfg(frame_placement=False))[0]
    assert placed.at != index_only.at
    toml = tmp_path / "serve.toml"
    toml.write_text("[serve]\nframe_placement = false\n")
    assert load_settings(toml).frame_placement is False
    with pytest.raises(Exception, match="frame_placement"):
        toml.write_text('frame_placement = "no"\n')
        load_settings(toml)
    for settings, expected in ((make_settings(), placed), (make_settings(frame_placement=False), index_only)):
        backends = Backends(settings)
        try:
            assert backends.search(shot, 1, None, True)[0].at == expected.at
        finally:
            backends.close()


def test_a_re_index_beside_the_server_is_answered_without_a_restart(make_settings, scene_library, alpha2_jpeg,
                                                                      tmp_path, caplog):
    """`animeid index` re-run on the served --db (a file gone, a title added): the next request
    reopens the index. Until 2026-11-25 the server kept answering from the vectors it had loaded,
    so new episodes were never found and deleted ones still were."""
    import logging
    import shutil

    from animeid.config import IndexCfg
    from animeid.scenes.indexer import index_library

    lib, db = tmp_path / "lib", tmp_path / "db"
    shutil.copytree(scene_library, lib)
    index_library(lib, db, IndexCfg(), progress=False)
    backends = Backends(make_settings(db=db))
    try:
        assert backends.search(alpha2_jpeg, 1, None, True)[0].episode == 2
        held = backends.index
        assert backends.search(alpha2_jpeg, 1, None, True)[0].title == "Alpha" and backends.index is held

        (lib / "Gamma").mkdir()
        (lib / "Alpha" / "Alpha - 02.mp4").rename(lib / "Gamma" / "Gamma - 05.mp4")
        report = index_library(lib, db, IndexCfg(), progress=False)
        assert len(report.added) == 1 and len(report.removed) == 1
        top = backends.search(alpha2_jpeg, 1, None, True)[0]
        assert (top.title, top.episode) == ("Gamma", 5)
        assert backends.index is not held
        assert backends.index.embedder is held.embedder        # the loaded ONNX session is kept
        assert {t["title"] for t in backends.titles()} == {"Alpha", "Beta", "Gamma"}
        assert backends.health()["index"]["titles"] == 3

        # at most one reopen per pause (an indexer running beside the server commits every few
        # seconds); a reopen that fails (here a damaged config written beside a new commit) keeps
        # the loaded index answering, and is tried again after the next pause
        served = backends.index
        config = db / "index.json"
        good = config.read_text()
        shutil.rmtree(lib / "Beta")
        index_library(lib, db, IndexCfg(), progress=False)
        backends.search(alpha2_jpeg, 1, None, True)
        assert backends.index is served
        backends._next_reload = 0.0   # the pause is over
        config.write_text("{ damaged")
        with caplog.at_level(logging.WARNING, logger="animeid.service.backends"):
            assert backends.search(alpha2_jpeg, 1, None, True)[0].title == "Gamma"
        assert backends.index is served and "could not be reopened" in caplog.text
        config.write_text(good)
        backends.search(alpha2_jpeg, 1, None, True)
        assert backends.index is served                  # a failed reopen pauses too
        backends._next_reload = 0.0
        assert backends.search(alpha2_jpeg, 1, None, True)[0].title == "Gamma"
        totals = backends.index.totals()
        assert backends.index is not served
        # the reopened vectors are the store's; the old index still holds Beta's
        assert totals["entries"] == totals["vectors"] < served.totals()["vectors"]
    finally:
        backends.close()


def test_a_sharded_index_knows_when_a_shard_changed_or_was_built(scene_library, tmp_path):
    import shutil

    from animeid.config import IndexCfg
    from animeid.distribute.index_shards import index_shards
    from animeid.distribute.sharded_index import ShardedIndex

    lib, db = tmp_path / "lib", tmp_path / "db"
    shutil.copytree(scene_library, lib)
    index_shards(lib, db, IndexCfg(), shards=2, only=0)
    held = ShardedIndex.load(db)
    assert held.missing == [1] and not held.changed_on_disk()
    index_shards(lib, db, IndexCfg(), shards=2, only=1)          # the missing shard is built
    assert held.changed_on_disk()
    again = ShardedIndex.load(db)
    assert not again.changed_on_disk()
    (lib / "Beta" / "[Grp] Beta S01E03 [720p].mkv").unlink()                      # a shard is re-indexed
    index_shards(lib, db, IndexCfg(), shards=2)
    assert again.changed_on_disk()


def test_a_title_is_checked_without_totalling_every_title(make_settings, sharded_scene_db, alpha2_jpeg,
                                                          monkeypatch):
    """`titles()` counts every entry of the index; per title-filtered request that cost ~35 ms at a
    million entries, as much as the search itself."""
    from animeid.distribute.sharded_index import ShardedIndex
    from animeid.service.api_error import ApiError

    for db in (None, sharded_scene_db):
        backends = Backends(make_settings() if db is None else make_settings(db=db))
        try:
            for cls in (Index, ShardedIndex):
                monkeypatch.setattr(cls, "titles", lambda self: pytest.fail("totalled every title"))
            assert {h.title for h in backends.search(alpha2_jpeg, 3, "Beta", True)} == {"Beta"}
            with pytest.raises(ApiError, match="no title 'Nope'"):
                backends.search(alpha2_jpeg, 3, "Nope", True)
            monkeypatch.undo()
        finally:
            backends.close()

"""`animeid serve` on a library indexed with `--shards`: search merges the shards, /titles and
/health sum them up, and the preview links of a result (whose id names its shard) cut from the
right shard's video. Also: a folder that is no index fails in one line before serving."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys

import pytest

from animeid.distribute.shard_ids import qualify, split
from animeid.distribute.shard_plan import shard_folder, shard_of
from animeid.scenes.index import Index
from tests.service.conftest import jpeg_of_frame

ALPHA2, BETA = "Alpha/Alpha - 02.mp4", "Beta/[Grp] Beta S01E03 [720p].mkv"   # shards 1 and 0 of 2


@pytest.fixture
def sharded_client(make_settings, sharded_scene_db):
    from fastapi.testclient import TestClient

    from animeid.service.app import create_app

    with TestClient(create_app(make_settings(db=sharded_scene_db)), raise_server_exceptions=False) as c:
        yield c


def _core(results: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in ("id", "thumbnail", "video", "similarity")} for r in results]


def test_search_answers_as_the_unsharded_server(sharded_client, client, scene_library, alpha2_jpeg):
    assert (shard_of(ALPHA2, 2), shard_of(BETA, 2)) == (1, 0)     # the fixture spans both shards
    beta_jpeg = jpeg_of_frame(scene_library / BETA, 4.6)
    for shot in (alpha2_jpeg, beta_jpeg):
        r = sharded_client.post("/search?k=3", content=shot)
        assert r.status_code == 200, r.text
        got, want = r.json()["results"], client.post("/search?k=3", content=shot).json()["results"]
        assert _core(got[:1]) == _core(want[:1])
        assert got[0]["similarity"] == pytest.approx(want[0]["similarity"], abs=1e-3)
        assert all(isinstance(x["id"], int) and f"/preview/{x['id']}?" in x["thumbnail"] for x in got)
        assert split(got[0]["id"], 2)[0] == shard_of(got[0]["file"], 2)
    only_beta = sharded_client.post("/search?k=3&title=Beta", content=alpha2_jpeg).json()["results"]
    assert only_beta and {x["title"] for x in only_beta} == {"Beta"}


def test_titles_list_every_shards_titles(sharded_client, scene_db):
    titles = sharded_client.get("/titles").json()["titles"]
    plain = Index.load(scene_db).titles()
    assert [(t["title"], t["files"], t["entries"]) for t in titles] == [(t["title"], t["files"], t["entries"])
                                                                        for t in plain]
    assert [t["files"] for t in titles] == [2, 1]    # Alpha's two episodes sit in different shards


def test_health_reports_totals(sharded_client, sharded_scene_db, scene_db):
    h = sharded_client.get("/health").json()
    assert h["capabilities"]["search"] is True
    shards = [Index.load(shard_folder(sharded_scene_db, i)) for i in range(2)]
    assert h["index"]["entries"] == sum(s.store.count_entries() for s in shards) == \
        Index.load(scene_db).store.count_entries()
    assert h["index"]["vectors"] == sum(s.vectors.ntotal for s in shards)
    assert h["index"]["titles"] == 2 and h["index"]["shards"] == 2 and h["index"]["missing_shards"] == []


def test_preview_links_of_both_shards_return_the_scene(sharded_client, scene_library, alpha2_jpeg):
    from PIL import Image

    for shot, file in ((alpha2_jpeg, ALPHA2), (jpeg_of_frame(scene_library / BETA, 4.6), BETA)):
        hit = sharded_client.post("/search?k=1", content=shot).json()["results"][0]
        assert hit["file"] == file
        r = sharded_client.get(hit["thumbnail"])
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        assert Image.open(io.BytesIO(r.content)).format == "JPEG"
    v = sharded_client.get(hit["video"])
    assert v.status_code == 200 and v.headers["content-type"] == "video/mp4" and len(v.content) > 1000


def test_unknown_or_unbuilt_shard_ids_are_404(make_settings, sharded_scene_db, tmp_path):
    from fastapi.testclient import TestClient

    from animeid.service import signing
    from animeid.service.app import create_app

    partial = tmp_path / "partial"        # the plan says 2 shards; only shard 0 was copied here
    partial.mkdir()
    shutil.copy(sharded_scene_db / "shards.json", partial)
    shutil.copytree(shard_folder(sharded_scene_db, 0), shard_folder(partial, 0))
    settings = make_settings(db=partial)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        h = c.get("/health").json()["index"]
        assert h["shards"] == 2 and h["missing_shards"] == [1]
        assert [t["files"] for t in c.get("/titles").json()["titles"]] == [1, 1]
        for entry_id in (qualify(1, 1, 2), qualify(10 ** 6, 0, 2)):
            q = signing.signed_query(settings.preview_secret, entry_id, "thumbnail", 1.0, 1.0, 1.0, ttl_s=60)
            r = c.get(f"/preview/{entry_id}?{q}")
            assert r.status_code == 404 and f"no scene with id {entry_id}" in r.json()["error"]


def _serve(db) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "animeid.cli.main", "serve", "--db", str(db), "--port", "1"],
                          capture_output=True, text=True, timeout=60)


def test_serve_refuses_a_folder_that_is_no_index_in_one_line(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = _serve(empty)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip().splitlines() == [f"animeid: error: {empty}: not an animeid index (no index.json or "
                                             "shards.json); build one with `animeid index`"]
    unbuilt = tmp_path / "unbuilt"
    unbuilt.mkdir()
    (unbuilt / "shards.json").write_text(json.dumps({"shards": 2, "embedder": "efficientnet-lite0"}))
    r = _serve(unbuilt)
    assert r.returncode == 2 and "serving" not in r.stdout
    assert r.stderr.strip().splitlines() == [f"animeid: error: {unbuilt}: none of its 2 shards has been built yet"]

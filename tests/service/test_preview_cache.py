"""A preview link issued before an episode file was replaced on disk (same path, new content, not
re-indexed yet) serves a picture of the file as it is now, never the one cached from the old file."""
from __future__ import annotations

import shutil

from animeid.config import IndexCfg
from animeid.scenes.indexer import index_library
from animeid.service import previews


def test_a_replaced_episode_never_serves_its_old_cached_preview(make_settings, scene_library, tmp_path,
                                                                alpha2_jpeg):
    from fastapi.testclient import TestClient

    from animeid.service.app import create_app

    library = tmp_path / "library"
    episode = library / "Alpha" / "Alpha - 02.mp4"
    episode.parent.mkdir(parents=True)
    shutil.copy(scene_library / "Alpha" / "Alpha - 02.mp4", episode)
    db = tmp_path / "index"
    assert not index_library(library, db, IndexCfg(), progress=False).failed
    settings = make_settings(db=db)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        hit = c.post("/search?k=1", content=alpha2_jpeg).json()["results"][0]
        before, clip_before = c.get(hit["thumbnail"]), c.get(hit["video"])
        assert before.status_code == 200 == clip_before.status_code
        # another episode's content written over the indexed one: the index still has the old fingerprint
        shutil.copy(scene_library / "Alpha" / "Alpha - 01.mp4", episode)
        after, clip_after = c.get(hit["thumbnail"]), c.get(hit["video"])
        assert after.status_code == 200 == clip_after.status_code
    now = previews.thumbnail_jpeg(episode, hit["at"], settings.thumbnail_short_side)
    assert after.content != before.content and after.content == now
    assert clip_after.content != clip_before.content

"""What a library user may pass to `Index` and `ShardedIndex`: `k`, search settings, a closed
index, bytes to `search_clip`. Each used to fail later and elsewhere: `k=0` gave 5 answers and
`k=-1` 23, `frame_width=0` a PIL traceback, a closed index a raw sqlite3 error."""
from dataclasses import replace

import numpy as np
import pytest

from animeid.config import SearchCfg
from animeid.distribute.sharded_index import ShardedIndex, open_index
from animeid.errors import AnimeidError, BadVideo
from animeid.media.video import frames_at
from animeid.scenes.index import Index


@pytest.fixture(scope="module")
def shot(scene_library) -> np.ndarray:
    return frames_at(scene_library / "Alpha" / "Alpha - 01.mp4", [2.3])[0]


@pytest.mark.parametrize("k", [0, -1, 2.5, True, "3"])
def test_k_must_be_a_whole_number_of_answers(scene_db, sharded_scene_db, shot, k):
    for folder in (scene_db, sharded_scene_db):
        index = open_index(folder)
        with pytest.raises(AnimeidError, match=f"k must be a whole number >= 1, got {k!r}"):
            index.search(shot, k=k)
        with pytest.raises(AnimeidError, match="k must be a whole number"):
            index.search_clip(scene_db / "no-such-clip.gif", k=k)
        index.close()


def test_k_none_takes_the_settings_and_k_is_honoured(scene_db, shot):
    with Index.load(scene_db) as index:
        assert len(index.search(shot, k=1)) == 1
        assert 1 < len(index.search(shot)) <= SearchCfg().k


@pytest.mark.parametrize("change, message", [
    ({"k": 0}, "SearchCfg.k must be a whole number >= 1"),
    ({"frame_width": 0}, "SearchCfg.frame_width must be a whole number >= 16"),
    ({"query_short_side": 4}, "SearchCfg.query_short_side must be a whole number >= 32"),
    ({"nprobe": 2.5}, "SearchCfg.nprobe must be a whole number"),
    ({"frame_fps": 0.0}, "SearchCfg.frame_fps must be a number above 0"),
    ({"frame_window_s": float("inf")}, "SearchCfg.frame_window_s must be a number above 0"),
])
def test_search_settings_out_of_range_are_refused_when_made(change, message):
    with pytest.raises(ValueError, match=message):
        replace(SearchCfg(), **change)


def test_with_search_leaves_the_original_settings_alone(scene_db, sharded_scene_db, shot):
    for folder in (scene_db, sharded_scene_db):
        index = open_index(folder)
        fast = index.with_search(frame_placement=False)
        assert fast is not index and not fast.search_cfg.frame_placement and index.search_cfg.frame_placement
        assert fast.search(shot, k=1)[0].file == index.search(shot, k=1)[0].file == "Alpha/Alpha - 01.mp4"
        index.close()


def test_a_closed_index_says_so(scene_db, shot):
    index = Index.load(scene_db)
    index.close()
    with pytest.raises(AnimeidError, match="this index was closed; load it again"):
        index.search(shot)
    index.close()     # twice: harmless


def test_a_clip_is_searched_by_path(scene_db):
    with Index.load(scene_db) as index:
        for wrong in (b"GIF89a...", None, ""):
            with pytest.raises(BadVideo, match="a clip is searched by its file's path"):
                index.search_clip(wrong)


def test_a_plain_index_opened_as_sharded_is_not_called_damaged(scene_db):
    with pytest.raises(AnimeidError, match="not a sharded index but a scene index .*Index.load"):
        ShardedIndex.load(scene_db)

"""The Python surface of a scene index as a researcher or bot author uses it: what opening the
wrong folder says, `with_search` copies, argument checks, and the fields of an answer."""
from __future__ import annotations

import json

import numpy as np
import pytest

import animeid
from animeid import AnimeidError, Index, Recognizer, SearchCfg, ShardedIndex, open_index
from animeid.media.video import frames_at


@pytest.fixture(scope="module")
def alpha2_frame(scene_library) -> np.ndarray:
    """A frame 2.3 s into Alpha episode 2, never sampled exactly."""
    return frames_at(scene_library / "Alpha" / "Alpha - 02.mp4", [2.3])[0]


def test_the_public_names_import_from_the_package():
    assert {"open_index", "SceneHit", "SearchCfg", "AnimeidError", "BadImage", "BadVideo",
            "IncompatibleIndex"} <= set(animeid.__all__)
    assert issubclass(animeid.BadImage, AnimeidError)


def test_opening_a_folder_with_the_wrong_loader_names_the_right_one(tmp_path, scene_db, sharded_scene_db):
    with pytest.raises(AnimeidError, match="not a scene index but a sharded scene index.*ShardedIndex.load"):
        Index.load(sharded_scene_db)
    with pytest.raises(AnimeidError, match="not a gallery but a scene index \\(built by `animeid index`\\): "
                                           "`animeid search` and `info` take it; in Python, Index.load"):
        Recognizer.load(scene_db)
    with pytest.raises(AnimeidError, match="not a sharded index but a scene index"):
        ShardedIndex.load(scene_db)
    for loader in (Index.load, ShardedIndex.load, Recognizer.load, open_index):
        with pytest.raises(AnimeidError, match="nowhere: no such folder; "):
            loader(tmp_path / "nowhere")
    (tmp_path / "plain").mkdir()
    with pytest.raises(AnimeidError, match="plain: not a scene index \\(it holds none of an index's or a gallery's files\\)"):
        Index.load(tmp_path / "plain")


def test_closing_a_with_search_copy_leaves_the_index_open(scene_db, alpha2_frame):
    index = Index.load(scene_db)
    with index.with_search(frame_placement=False) as fast:
        first = fast.search(alpha2_frame, k=1)
    assert index.search(alpha2_frame, k=1, cfg=SearchCfg(frame_placement=False)) == first
    copy = index.with_search(query_mirror=False)
    index.close()
    with pytest.raises(AnimeidError, match="closed"):
        copy.search(alpha2_frame)


def test_with_search_and_search_refuse_bad_settings_in_one_line(scene_db, alpha2_frame):
    with Index.load(scene_db) as index:
        for bad, message in [({"k": 0}, "SearchCfg.k must be a whole number >= 1"),
                             ({"nprobe": 0}, "SearchCfg.nprobe"),
                             ({"bogus": 1}, "unknown search setting\\(s\\) bogus"),
                             ({"frame_placement": "no"}, "frame_placement must be True or False"),
                             ({"query_mirror": 2}, "query_mirror must be True or False")]:
            with pytest.raises(AnimeidError, match=message):
                index.with_search(**bad)
        with pytest.raises(AnimeidError, match="title must be one title's name \\(a str\\), not list"):
            index.search(alpha2_frame, title=["Alpha"])
        with pytest.raises(AnimeidError, match="cfg must be a SearchCfg"):
            index.search(alpha2_frame, cfg={"k": 2})


def test_switches_take_what_python_takes_for_true_and_false(scene_db):
    with Index.load(scene_db) as index:
        for value, meant in [(0, False), (1, True), (np.bool_(False), False), (np.True_, True)]:
            switched = index.with_search(query_mirror=value).search_cfg.query_mirror
            assert switched is meant


def test_sharded_index_is_a_context_manager_with_the_same_checks(sharded_scene_db, alpha2_frame):
    with ShardedIndex.load(sharded_scene_db) as index:
        with pytest.raises(AnimeidError, match="unknown search setting"):
            index.with_search(bogus=1)
        with index.with_search(frame_placement=False):
            pass
        assert index.search(alpha2_frame, k=1)[0].title == "Alpha"


def test_an_answer_prints_its_episode_as_the_cli_does(scene_db, alpha2_frame):
    with Index.load(scene_db) as index:
        hit = index.search(alpha2_frame, k=1)[0]
    assert hit.episode == 2 and isinstance(hit.episode, int)   # SQLite gave 2.0
    assert f"{hit.title} ep {hit.episode}" == "Alpha ep 2"
    assert json.loads(json.dumps(hit.to_dict()))["episode"] == 2
    from animeid.scenes.hits import SceneHit

    half = SceneHit("T", 12.5, "f", 0.0, 1.0, 2.0, 0.9, 1)
    assert half.episode == 12.5 and SceneHit("T", None, "f", 0.0, 1.0, 2.0, 0.9, 1).episode is None


def test_an_embedder_refuses_a_single_image_and_unknown_keywords():
    from animeid import create_embedder

    with pytest.raises(AnimeidError, match="create_embedder\\('color-layout'\\): .*bogus"):
        create_embedder("color-layout", bogus=1)
    embedder = create_embedder("color-layout")
    with pytest.raises(AnimeidError, match="embed takes a list of images, not a single ndarray"):
        embedder.embed(np.zeros((64, 64, 3), np.uint8))
    batch = np.random.default_rng(0).integers(0, 255, (2, 64, 64, 3), dtype=np.uint8)
    assert np.allclose(embedder.embed(batch), embedder.embed(list(batch)))


def test_a_loaded_index_says_when_a_re_run_changed_it(tmp_path):
    """A loaded `Index` is a snapshot (README): `changed_on_disk` is how a long-lived bot learns
    that `animeid index` added files, and loading again answers from them."""
    from animeid.config import IndexCfg
    from animeid.scenes.indexer import index_library
    from tests.videos import write_clip

    lib, db = tmp_path / "lib", tmp_path / "db"
    write_clip(lib / "Alpha" / "Alpha - 01.mp4", [1, 2])
    index_library(lib, db, IndexCfg(embedder="color-layout"), progress=False)
    with Index.load(db) as held:
        assert not held.changed_on_disk()
        write_clip(lib / "Beta" / "Beta - 01.mp4", [30, 31])
        index_library(lib, db, IndexCfg(embedder="color-layout"), progress=False)
        shot = frames_at(lib / "Beta" / "Beta - 01.mp4", [2.5])[0]
        assert held.changed_on_disk() and {h.title for h in held.search(shot)} == {"Alpha"}
        with Index.load(db) as again:
            assert not again.changed_on_disk() and again.search(shot)[0].title == "Beta"

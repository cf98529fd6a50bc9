"""Placing the best answer on its exact frame: on hand-made frame stacks whose answer is known,
then on a real index of a generated library whose video can go missing, change or break."""
import shutil
import sqlite3
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from animeid.config import IndexCfg, SearchCfg
from animeid.media.video import fingerprint, grey_frames_between
from animeid.scenes.frame_placement import place_on_frames
from animeid.scenes.hits import SceneHit
from animeid.scenes.index import META_DB, Index
from animeid.scenes.indexer import index_library
from animeid.store.metadata import MetadataStore
from tests.scenes.test_frame_correlation import texture
from tests.videos import scene_frame, write_clip, write_frames

SCENE = SceneHit("T", 1, "T/ep.mp4", 0.0, 0.375, 1.0, 0.9, 7)


def pan(n: int, walker: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """n frames (8 a second) of a camera panning right over a wide picture, 3 px a frame; with
    `walker`, a dark square crosses the frame 2 px a frame the other way, as characters do."""
    wide = texture(11, 90, 160 + 3 * n)
    frames = np.stack([wide[:, 3 * i:3 * i + 160] for i in range(n)])
    if walker:
        for i in range(n):
            x = 150 - 2 * i
            frames[i, 40:60, max(x - 20, 0):max(x, 0)] = 10
    return np.arange(n) / 8, frames


def test_a_crop_of_a_pan_is_placed_on_its_own_frame():
    times, frames = pan(40, walker=True)
    # frame 25, cropped to 80 % of each side and enlarged, as a screenshot would be; everything
    # in it but the walker is also in the frames around it, only shifted
    crop = np.asarray(Image.fromarray(frames[25][9:81, 16:144]).resize((256, 144), Image.BILINEAR))
    placed = place_on_frames(replace(SCENE, at=times[21]), times, frames, crop, tie=0.002)
    assert placed.at == pytest.approx(times[25], abs=1 / 8)
    assert placed.held is None or placed.held[1] - placed.held[0] <= 2 / 8
    # the scene's span grows to hold it, and the frames tied with it
    assert (placed.from_, placed.to) == (0.0, (placed.held or (None, placed.at))[1])
    # without the walker the frames around are the same crop, and their middle is the answer
    times, frames = pan(40)
    placed = place_on_frames(replace(SCENE, at=times[21]), times, frames, crop, tie=0.002)
    assert placed.held is not None and placed.held[0] < times[25] < placed.held[1]
    assert (placed.title, placed.file, placed.entry_id) == (SCENE.title, SCENE.file, SCENE.entry_id)


def test_a_held_drawing_is_answered_at_the_middle_of_its_frames():
    times, frames = pan(40)
    frames[10:21] = frames[10]          # the camera stops for 11 frames
    placed = place_on_frames(replace(SCENE, at=times[12]), times, frames, frames[10].copy(), tie=0.002)
    assert placed.held == (times[10], times[20])
    assert placed.from_ <= times[10] and placed.to >= times[20]   # the scene spans the whole drawing
    assert placed.at == pytest.approx((times[10] + times[20]) / 2)


def test_a_noisy_screenshot_ties_more_frames_than_a_clean_one():
    times, frames = pan(40)
    frames[10:21] = frames[10]
    noisy = np.clip(frames[10] + np.random.default_rng(0).normal(0, 40, frames[10].shape), 0, 255).astype(np.uint8)
    # identical frames all score what the noise leaves; the share of it decides the tie
    scene = replace(SCENE, at=times[12])
    grainy = frames + np.random.default_rng(1).integers(0, 3, frames.shape, dtype=np.uint8)
    lone = place_on_frames(scene, times, grainy, noisy, tie=0.0, tie_share=0.0)
    shared = place_on_frames(scene, times, grainy, noisy, tie=0.0, tie_share=0.2)
    assert lone.held is None or lone.held[1] - lone.held[0] < times[20] - times[10]
    assert shared.held == (times[10], times[20])


# ---- on a real index ---------------------------------------------------------------------------

QUERY_T = 1.3


@pytest.fixture(scope="module")
def gamma(tmp_path_factory):
    """One title, one 6 s file at 10 fps (a square crosses each scene), indexed at 2 fps."""
    root = tmp_path_factory.mktemp("gamma")
    write_clip(root / "lib" / "Gamma" / "Gamma - 01.mp4", [11, 12], seconds_per_scene=3.0)
    index_library(root / "lib", root / "db", IndexCfg(), progress=False)
    return root


def copy_of(gamma, tmp_path):
    shutil.copytree(gamma / "lib", tmp_path / "lib")
    shutil.copytree(gamma / "db", tmp_path / "db")
    store = MetadataStore(tmp_path / "db" / META_DB)   # the copy's videos, not the original's
    store.set_meta("library_root", str(tmp_path / "lib"))
    store.close()
    return tmp_path / "lib" / "Gamma" / "Gamma - 01.mp4", tmp_path / "db"


def screenshot() -> np.ndarray:
    return np.ascontiguousarray(scene_frame(11, QUERY_T)[12:132, 16:176])   # a crop of frame 13


def answers(db, **cfg):
    index = Index.load(db)
    try:
        return index.search(screenshot(), k=3, cfg=replace(SearchCfg(), **cfg))
    finally:
        index.close()


def test_the_answer_is_placed_on_the_frame_the_screenshot_shows(gamma, tmp_path):
    _, db = copy_of(gamma, tmp_path)
    placed = answers(db)[0]
    assert placed.file == "Gamma/Gamma - 01.mp4"
    assert abs(placed.at - QUERY_T) <= 0.1
    # the index alone answers from its 2 fps entries' thumbnails, which barely see the square move
    index_only = answers(db, frame_placement=False)[0]
    assert abs(index_only.at - QUERY_T) > abs(placed.at - QUERY_T)


@pytest.mark.parametrize("damage", ["missing", "replaced", "broken", "over budget"])
def test_without_its_video_as_indexed_the_index_answer_stands(gamma, tmp_path, damage):
    video, db = copy_of(gamma, tmp_path)
    index_only = answers(db, frame_placement=False)
    cfg = {}
    if damage == "missing":
        video.unlink()
    elif damage == "replaced":       # another file under the indexed name: its seconds mean nothing
        write_clip(video, [11, 12], seconds_per_scene=1.5)
    elif damage == "broken":         # garbage inside, and a fingerprint that misses it (head and tail
        data = bytearray(video.read_bytes())     # alike in a multi-GB episode)
        data[len(data) // 8:] = bytes(len(data) - len(data) // 8)
        video.write_bytes(bytes(data))
        with sqlite3.connect(db / META_DB) as conn:
            conn.execute("UPDATE files SET fingerprint = ?", (fingerprint(video),))
    else:
        cfg = {"frame_max_decoded_pixels": 1000}
    assert answers(db, **cfg) == index_only


def test_a_sharded_index_places_its_answer_too(sharded_scene_db, scene_db):
    from animeid.distribute.sharded_index import ShardedIndex

    shot = np.ascontiguousarray(scene_frame(6, 2.3)[12:132, 16:176])   # Alpha 02, second scene
    single = Index.load(scene_db).search(shot, k=1)[0]
    sharded = ShardedIndex.load(sharded_scene_db).search(shot, k=1)[0]
    assert sharded.file == single.file == "Alpha/Alpha - 02.mp4"
    assert sharded.at == single.at and abs(single.at - 2.3) <= 0.1


def test_grey_frames_between_keeps_the_window_at_the_rate_asked(gamma):
    video = gamma / "lib" / "Gamma" / "Gamma - 01.mp4"
    times, frames = grey_frames_between(video, 2.0, 4.0, 96, fps=4.0)
    # the first frame (10 a second) to reach each quarter second, ends included
    assert times.tolist() == pytest.approx([2.0, 2.3, 2.5, 2.8, 3.0, 3.3, 3.5, 3.8, 4.0])
    assert frames.shape == (9, 72, 96) and frames.dtype == np.uint8
    # the frame kept at 3.0 s is the video's own, in grey
    expected = np.asarray(Image.fromarray(scene_frame(12, 3.0)).convert("L").resize((96, 72), Image.BOX), np.float32)
    assert np.abs(frames[4] - expected).mean() < 6
    everything = grey_frames_between(video, 2.0, 4.0, 96)
    assert len(everything[0]) == 21                 # 10 fps, both ends included
    assert grey_frames_between(video, 2.0, 4.0, 96, max_decoded_pixels=192 * 144 * 5) is None
    assert grey_frames_between(video, 60.0, 70.0, 96) is None   # past the end


def test_a_screenshot_found_in_none_of_the_frames_leaves_the_answer_alone():
    times, frames = pan(40)
    elsewhere = texture(99)        # another picture altogether
    scene = replace(SCENE, at=times[12])
    assert place_on_frames(scene, times, frames, elsewhere, tie=0.002) == scene
    assert place_on_frames(scene, times, frames, elsewhere, tie=0.002, min_ncc=-1.0).at != scene.at


def test_frames_of_an_extreme_shape_are_squashed_not_allocated_whole(tmp_path, monkeypatch):
    """A 2x1000 video at 160 px wide is 160x80000 a frame: the window took ~18 GB. Frames are
    placed no taller than TALLEST_FRAME times their width (the template is scaled to the frame
    anyway), here on a 16x160 video whose frames would be ten times taller than wide."""
    from animeid.scenes import frame_placement

    tall = [np.ascontiguousarray(np.repeat(scene_frame(5, i / 10), 10, axis=0)[:160, :16]) for i in range(20)]
    video = write_frames(tmp_path / "tall.mp4", tall, fps=10)
    shapes = []
    monkeypatch.setattr(frame_placement, "_unchanged_video", lambda index, hit: video)
    monkeypatch.setattr(frame_placement, "placed_with_template",
                        lambda scene, times, frames, *a: (shapes.append(frames.shape), None))
    scene = replace(SCENE, at=1.0)
    grey = np.asarray(Image.fromarray(tall[10]).convert("L"))
    frame_placement.place_top_scene(None, [scene], grey, SearchCfg())
    cfg = SearchCfg()
    assert shapes and shapes[0][1:] == (frame_placement.TALLEST_FRAME * cfg.frame_width, cfg.frame_width)

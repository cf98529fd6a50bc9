"""A held drawing's exact frame, from a screenshot at the video's own size: each frame of a hold
carries its own noise, which the screenshot keeps unless it was scaled or re-encoded."""
from __future__ import annotations

import numpy as np
import pytest

from animeid.config import IndexCfg, SearchCfg
from animeid.scenes.exact_frame import _video_size, exact_fits
from animeid.scenes.frame_correlation import Template
from tests.videos import scene_frame, write_frames

FPS = 12


def _hold(n: int, seed: int = 3, w: int = 320, h: int = 240, noise: float = 2.0) -> np.ndarray:
    """One drawing shown n frames, each with its own grain of about `noise` grey levels."""
    rng = np.random.default_rng(seed)
    base = scene_frame(seed, 0.0, w, h).astype(np.float32)
    return np.stack([np.clip(base + rng.normal(0, noise, base.shape), 0, 255).astype(np.uint8) for _ in range(n)])


def _grey(rgb: np.ndarray) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(rgb).convert("L"))


def test_the_frame_a_crop_came_from_fits_it_exactly_and_the_others_of_its_hold_do_not():
    frames = np.stack([_grey(f) for f in _hold(9)])
    crop = frames[6, 17:17 + 168, 30:30 + 224]            # a 70 % crop, at the frame's own size
    scores = exact_fits(crop, frames)
    assert int(np.argmax(scores)) == 6 and scores[6] == pytest.approx(1.0, abs=1e-9)
    # the same drawing with other grain stays below the default threshold
    assert np.delete(scores, 6).max() < SearchCfg().exact_min_ncc


@pytest.mark.parametrize("shape, template, size", [
    ((240, 320), Template(1.0, 1.0, False), (320, 240)),          # the whole frame at its own size
    ((168, 224), Template(0.7, 0.7, False), (320, 240)),          # a crop of it
    ((170, 221), Template(0.7, 0.7, True), (320, 240)),           # within the grid's slack, mirrored
    ((120, 160), Template(1.0, 1.0, False), None),                # half size: scaled, its grain is gone
    ((240, 320), Template(0.7, 0.7, False), None),                # larger than the crop it shows
    ((320, 240), Template(1.0, 1.0, False), (240, 320)),          # a video shown turned
])
def test_a_screenshot_is_at_the_videos_size_only_within_the_slack(shape, template, size):
    assert _video_size(shape, template, 320, 240) == size


@pytest.fixture(scope="module")
def held_library(tmp_path_factory):
    """A clip that moves for 1 s, holds one drawing (with grain) for 3 s, then moves on."""
    root = tmp_path_factory.mktemp("held")
    moving = [scene_frame(1, i / FPS, 320, 240) for i in range(FPS)]
    after = [scene_frame(2, i / FPS, 320, 240) for i in range(FPS)]
    write_frames(root / "Held" / "Held - 01.mp4", moving + list(_hold(3 * FPS)) + after, fps=FPS, gop=250)
    return root


@pytest.fixture(scope="module")
def held_index(held_library, tmp_path_factory):
    from animeid.scenes.index import Index
    from animeid.scenes.indexer import index_library

    db = tmp_path_factory.mktemp("held-db") / "db"
    index_library(held_library, db, IndexCfg(), progress=False)
    with Index.load(db) as index:
        yield index


@pytest.mark.parametrize("second", [1.25, 2.5, 3.75])
def test_a_player_screenshot_of_a_hold_is_answered_at_its_own_frame(held_library, held_index, second):
    from animeid.media.video import frames_at

    shot = frames_at(held_library / "Held" / "Held - 01.mp4", [second])[0]
    crop = shot[20:20 + 200, 12:12 + 270]
    middle = held_index.with_search(exact_frame=False).search(crop)[0]
    assert middle.held is not None and middle.held[1] - middle.held[0] > 2.5   # the hold was found
    for query in (shot, crop, np.ascontiguousarray(crop[:, ::-1])):
        hit = held_index.search(query)[0]
        assert abs(hit.at - second) <= 0.5 / FPS and hit.from_ <= hit.at <= hit.to
    # scaled, or heavily re-encoded: no frame fits exactly, and the middle of the hold stands
    from PIL import Image

    half = np.asarray(Image.fromarray(crop).resize((135, 100), Image.BILINEAR))
    assert held_index.search(half)[0].at == pytest.approx(held_index.with_search(exact_frame=False).search(half)[0].at)


def test_a_file_object_is_read_again_for_its_own_size(held_library, held_index):
    import io

    from PIL import Image

    from animeid.media.video import frames_at

    shot = frames_at(held_library / "Held" / "Held - 01.mp4", [3.5])[0]
    buffer = io.BytesIO()
    Image.fromarray(shot).save(buffer, "PNG")
    buffer.seek(0)
    assert abs(held_index.search(buffer)[0].at - 3.5) <= 0.5 / FPS


def test_frames_copied_bit_for_bit_are_answered_at_their_middle(tmp_path, monkeypatch):
    """A codec that copies a still picture gives identical frames: the first of them is no more
    the screenshot's than the last."""
    from animeid.scenes import exact_frame
    from animeid.scenes.hits import SceneHit

    still = np.stack([_grey(_hold(1)[0])] * 7)
    times = np.arange(7) / FPS
    monkeypatch.setattr("animeid.media.video_container.probe",
                        lambda path: type("Info", (), {"width": 320, "height": 240, "fps": FPS})())
    monkeypatch.setattr("animeid.media.video.grey_frames_between", lambda *a, **k: (times, still))
    scene = SceneHit("T", 1, "T/ep.mp4", 0.0, 0.25, 0.5, 0.9, 7, held=(0.0, 0.5))
    pinned = exact_frame.pin_exact_frame(tmp_path / "ep.mp4", scene, lambda: still[0], Template(1.0, 1.0, False),
                                         SearchCfg())
    assert pinned.at == pytest.approx(times[3])

"""Clip queries: the vote worked by hand, what counts as a clip, sampling, and clips cut out of the
generated library found at their start."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from animeid.config import ClipCfg
from animeid.errors import BadVideo
from animeid.scenes.clip_search import is_clip, sample_clip, search_clip, vote
from animeid.scenes.hits import SceneHit
from animeid.scenes.index import Index
from tests.videos import scene_frame, write_clip, write_frames

ALPHA_02_SEEDS = [5, 6, 7]   # tests/videos.make_library: 2 s per scene at 10 fps


def hit(file: str, at: float, sim: float, entry: int = 0) -> SceneHit:
    return SceneHit("T", 1, file, at - 0.25, at, at + 0.25, sim, entry)


def test_vote_groups_answers_by_implied_start_worked_by_hand():
    per_frame = [
        (0.0, [hit("a", 10.0, 0.90, 1), hit("b", 3.0, 0.95, 2)]),
        (0.5, [hit("a", 10.5, 0.80, 3), hit("b", 7.0, 0.70, 4)]),
        (1.0, [hit("a", 11.1, 0.85, 5)]),
    ]
    out = vote(per_frame, agree_s=1.0, seconds=1.0)
    # "a": starts 10.0, 10.0, 10.1 -> median 10.0, three frames, summed 2.55, mean 0.85;
    # "b" at 3.0 (one frame, 0.95) and "b" at 7.0 - 0.5 = 6.5 (one frame, 0.70) do not agree
    assert [(c.scene.file, c.frames) for c in out] == [("a", 3), ("b", 1), ("b", 1)]
    a = out[0].scene
    assert (a.from_, a.at, a.to) == pytest.approx((10.0, 10.0, 11.0))
    assert a.similarity == pytest.approx(0.85) and a.order_key == pytest.approx(2.55)
    assert a.entry_id == 1                      # the group's most similar answer
    assert [c.scene.at for c in out[1:]] == pytest.approx([3.0, 6.5])


def test_a_frame_counts_once_per_group_and_many_frames_beat_one_close_match():
    per_frame = [
        (0.0, [hit("a", 5.0, 0.99), hit("a", 5.4, 0.98)]),   # two answers of one frame, one start
        (1.0, [hit("b", 20.0, 0.80)]),
        (2.0, [hit("b", 21.0, 0.80)]),
    ]
    out = vote(per_frame, agree_s=1.0, seconds=2.0)
    assert [(c.scene.file, c.frames) for c in out] == [("b", 2), ("a", 1)]
    assert out[0].scene.at == pytest.approx(19.0)
    assert out[1].scene.similarity == pytest.approx(0.99)


def test_a_start_before_the_file_begins_is_clamped_to_zero():
    out = vote([(2.0, [hit("a", 1.5, 0.9)])], agree_s=1.0, seconds=2.0)
    assert out[0].scene.at == 0.0 and out[0].scene.to == 2.0


def test_vote_on_nothing_is_empty():
    assert vote([(0.0, []), (0.5, [])], agree_s=1.0, seconds=0.5) == []


def write_window(path, first_frame: int, frames: int) -> list[np.ndarray]:
    """Frames `first_frame`.. of the generated 'Alpha - 02' (10 fps), exactly as it was drawn."""
    out = [scene_frame(ALPHA_02_SEEDS[g // 20], g / 10) for g in range(first_frame, first_frame + frames)]
    write_frames(path, out, fps=10)
    return out


def test_what_is_a_clip(tmp_path):
    write_window(tmp_path / "moving.gif", 0, 5)
    Image.fromarray(scene_frame(1, 0.0)).save(tmp_path / "still.gif")
    Image.fromarray(scene_frame(1, 0.0)).save(tmp_path / "shot.png")
    (tmp_path / "broken.gif").write_bytes(b"GIF89a garbage")
    assert is_clip(tmp_path / "moving.gif") and is_clip(str(tmp_path / "moving.gif"))
    assert is_clip(tmp_path / "episode.MKV")           # by extension; decoding says if it is not one
    assert not is_clip(tmp_path / "still.gif")          # one frame: a picture
    assert not is_clip(tmp_path / "shot.png")
    assert not is_clip(tmp_path / "broken.gif")         # the image loader explains what is wrong
    assert not is_clip(b"GIF89a") and not is_clip(np.zeros((8, 8, 3), np.uint8))


def test_sampling_slows_down_to_spread_max_frames_over_the_clip(tmp_path):
    clip = write_clip(tmp_path / "c.mp4", [1, 2], seconds_per_scene=2.0)     # 4 s at 10 fps
    frames = sample_clip(clip, ClipCfg(fps=2.0, max_frames=4), short_side=None)
    assert [round(t, 1) for t, _ in frames] == [0.0, 1.0, 2.0, 3.0]
    assert frames[0][1].shape == (144, 192, 3)
    short = sample_clip(clip, ClipCfg(fps=2.0, max_frames=16, max_seconds=1.2), short_side=72)
    assert [round(t, 1) for t, _ in short] == [0.0, 0.5, 1.0] and short[0][1].shape[0] == 72


def test_sampling_a_broken_clip_is_a_clear_error(tmp_path):
    (tmp_path / "bad.mp4").write_bytes(np.random.default_rng(0).bytes(600))
    with pytest.raises(BadVideo, match="bad.mp4"):
        sample_clip(tmp_path / "bad.mp4", ClipCfg(), 288)
    with pytest.raises(BadVideo, match="no such file"):
        sample_clip(tmp_path / "gone.webm", ClipCfg(), 288)


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_a_clip_across_a_cut_is_found_at_its_start(scene_db, tmp_path, suffix):
    # 1.3 s .. 3.3 s of 'Alpha - 02': the end of one scene and the start of the next
    clip = tmp_path / f"window{suffix}"
    write_window(clip, 13, 21)
    answer = Index.load(scene_db).search_clip(clip, k=3)
    assert answer.sampled == 5 and answer.seconds == pytest.approx(2.0, abs=0.05)
    top = answer.hits[0]
    assert top.scene.file == "Alpha/Alpha - 02.mp4" and top.scene.episode == 2
    assert abs(top.scene.at - 1.3) <= 0.5 and top.scene.to == pytest.approx(top.scene.at + answer.seconds)
    assert top.frames >= 4
    assert answer.to_dict() == {"frames": 5, "seconds": round(answer.seconds, 3)}


def test_a_clip_search_keeps_to_the_title_asked_for(scene_db, tmp_path):
    clip = tmp_path / "window.gif"
    write_window(clip, 13, 21)
    index = Index.load(scene_db)
    answer = search_clip(index, clip, k=5, title="Beta")
    assert answer.hits and {c.scene.title for c in answer.hits} == {"Beta"}

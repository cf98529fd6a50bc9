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
from tests.videos import scene_frame, write_clip, write_frames, write_gif

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


def test_held_answers_agree_with_any_start_their_drawing_allows_worked_by_hand():
    def held(at, first, last, sim):
        return SceneHit("T", 1, "a", first, at, last, sim, 7, held=(first, last))

    per_frame = [
        (0.0, [hit("a", 1.5, 0.99, 3)]),                                   # moving: the clip starts at 1.5
        (0.5, [held(4.0, 1.75, 6.25, 0.95), hit("b", 1.0, 0.90)]),          # then a drawing held 1.75-6.25
        (1.0, [held(4.0, 1.75, 6.25, 0.95), hit("b", 5.0, 0.90)]),
        (1.5, [held(4.0, 1.75, 6.25, 0.95), hit("b", 3.2, 0.90)]),
    ]
    out = vote(per_frame, agree_s=1.0, seconds=1.5)
    # frame 0 allows 1.0..2.0; the held frames allow 0.75..6.25, 0.25..5.75, -0.25..5.25: all four
    # agree, and the start is the exact answer's, 1.5. (By their `at` alone, 4.0 - offset, the held
    # frames would say 3.5, 3.0 and 2.5: three other starts.) "b" says 0.5, 4.0, 1.7: no two within 1 s.
    assert [(c.scene.file, c.frames) for c in out][:2] == [("a", 4), ("b", 1)]
    assert out[0].scene.at == pytest.approx(1.5) and out[0].scene.entry_id == 3
    assert out[0].scene.similarity == pytest.approx((0.99 + 3 * 0.95) / 4)
    # only held frames: the middle of what they all allow (0.75..5.25)
    only_held = vote(per_frame[1:], agree_s=1.0, seconds=1.0)
    assert only_held[0].frames == 3 and only_held[0].scene.at == pytest.approx(3.0)


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
    # a picture saved under a video's name is the picture, as an upload of its bytes is; an
    # animated GIF under a video's name is still a clip
    Image.fromarray(scene_frame(1, 0.0)).save(tmp_path / "shot.mp4", format="PNG")
    Image.fromarray(scene_frame(1, 0.0)).save(tmp_path / "shot.mkv", format="JPEG")
    (tmp_path / "moving.webm").write_bytes((tmp_path / "moving.gif").read_bytes())
    assert not is_clip(tmp_path / "shot.mp4") and not is_clip(tmp_path / "shot.mkv")
    assert is_clip(tmp_path / "moving.webm")


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
    assert answer.summary() == {"frames": 5, "seconds": round(answer.seconds, 3)}


def test_a_clip_search_keeps_to_the_title_asked_for(scene_db, tmp_path):
    clip = tmp_path / "window.gif"
    write_window(clip, 13, 21)
    index = Index.load(scene_db)
    answer = search_clip(index, clip, k=5, title="Beta")
    assert answer.hits and {c.scene.title for c in answer.hits} == {"Beta"}


def test_a_start_well_before_the_file_begins_is_dropped_not_clamped():
    # frames 0..3 s are found where the clip starts (0 s); frames 2 and 3 also match an earlier scene
    # of that file, which would put the clip's start 2 s before the file begins
    per_frame = [(float(o), [hit("a", float(o), 0.95)]) for o in range(4)]
    per_frame[2][1].append(hit("a", 0.4, 0.9))
    per_frame[3][1].append(hit("a", 0.5, 0.9))
    out = vote(per_frame, agree_s=1.0, seconds=3.0)
    assert [(c.scene.file, c.scene.at, c.frames) for c in out] == [("a", 0.0, 4)]   # not a second "a" at 0:00


def test_the_whole_episode_as_a_clip_is_one_answer_at_its_start(scene_db, scene_library):
    answer = Index.load(scene_db).search_clip(scene_library / "Alpha" / "Alpha - 02.mp4", k=5)
    top = answer.hits[0].scene
    assert top.file == "Alpha/Alpha - 02.mp4" and top.at == 0.0 and answer.hits[0].frames == answer.sampled
    same_place = [c for c in answer.hits[1:] if c.scene.file == top.file and abs(c.scene.at - top.at) <= 1.0]
    assert same_place == []


def test_sampling_spreads_over_a_gif_whose_container_misstates_its_length(tmp_path):
    # every delay 0 ms: FFmpeg plays it at 100 ms a frame, but declares a length it does not play
    gif = write_gif(tmp_path / "zero-delay.gif", [scene_frame(5 + g // 20, g / 10) for g in range(100)], delay_ms=0)
    from animeid.media.video import iter_frames
    played = [t for t, _ in iter_frames(gif, fps=1000, short_side=None)][-1] + 0.1
    frames = sample_clip(gif, ClipCfg(fps=2.0, max_frames=16), short_side=None)
    assert len(frames) == 16 and frames[-1][0] >= played - 2 * played / 16   # not the first 7.5 s only


def test_sampling_decodes_no_more_than_the_pixel_budget(tmp_path):
    clip = write_clip(tmp_path / "c.mp4", [1, 2], seconds_per_scene=2.0)     # 4 s at 10 fps, 192x144
    frames = sample_clip(clip, ClipCfg(fps=2.0, max_decoded_pixels=192 * 144 * 10), short_side=None)
    assert [round(t, 1) for t, _ in frames] == [0.0, 0.5]                     # 10 frames: the first second


def test_sampling_stops_decoding_at_max_frames(tmp_path, monkeypatch):
    import animeid.media.video as video

    clip = write_clip(tmp_path / "c.mp4", [1, 2], seconds_per_scene=2.0)
    pulled = []
    real = video.iter_frames

    def counting(*args, **kwargs):
        for item in real(*args, **kwargs):
            pulled.append(item[0])
            yield item

    monkeypatch.setattr(video, "iter_frames", counting)
    frames = sample_clip(clip, ClipCfg(fps=2.0, max_frames=2, max_seconds=1.0), short_side=None)
    assert [round(t, 1) for t, _ in frames] == [0.0, 0.5] and len(pulled) == 2   # not the frame at 1.0 s


def test_a_clip_is_held_to_the_limits_of_an_uploaded_picture(tmp_path):
    from animeid.config import ImageLimits

    clip = write_clip(tmp_path / "c.mp4", [1], seconds_per_scene=1.0)
    with pytest.raises(BadVideo, match="192x144, above the 1,000-pixel limit"):
        sample_clip(clip, ClipCfg(), 288, ImageLimits(max_pixels=1000))
    tiny = write_frames(tmp_path / "tiny.mp4", [np.full((4, 6, 3), 9 * g, np.uint8) for g in range(10)])
    with pytest.raises(BadVideo, match="6x4, too small"):
        sample_clip(tiny, ClipCfg(), 288)


def test_a_gif_over_pils_bomb_warning_is_still_a_clip(tmp_path, monkeypatch, recwarn):
    write_window(tmp_path / "moving.gif", 0, 5)                               # 192x144 = 27,648 pixels
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 20_000)                    # warns above, refuses above 2x
    assert is_clip(tmp_path / "moving.gif")
    assert not [w for w in recwarn if issubclass(w.category, Image.DecompressionBombWarning)]


def test_a_clip_running_into_a_held_drawing_is_placed_by_its_moving_frames(tmp_path):
    """0-2 s a moving scene, 2-6 s one drawing held, 6-8 s another moving scene. A clip from 1.5 s to
    5.5 s: its held frames all answer "the middle of the drawing" (about 4 s), whatever second they
    were taken at, so their implied starts spread over 2 s; aligning every frame at once leaves
    only the starts where the moving frames fit."""
    from animeid.config import IndexCfg
    from animeid.scenes.indexer import index_library

    held = scene_frame(21, 0.0)
    frames = ([scene_frame(20, g / 10) for g in range(20)] + [held] * 40
              + [scene_frame(22, g / 10) for g in range(60, 80)])
    write_frames(tmp_path / "lib" / "Gamma" / "Gamma - 01.mp4", frames, fps=10)
    write_frames(tmp_path / "lib" / "Gamma" / "Gamma - 02.mp4", [scene_frame(23, g / 10) for g in range(60)], fps=10)
    assert not index_library(tmp_path / "lib", tmp_path / "db", IndexCfg(), progress=False).failed
    write_frames(tmp_path / "clip.mp4", frames[15:56], fps=10)
    index = Index.load(tmp_path / "db")
    answer = index.search_clip(tmp_path / "clip.mp4", k=3)
    top = answer.hits[0].scene
    assert top.file == "Gamma/Gamma - 01.mp4" and abs(top.at - 1.5) <= 0.5
    # and no second answer of that file lands on the same start
    assert all(abs(c.scene.at - top.at) > 1.0 for c in answer.hits[1:] if c.scene.file == top.file)


def test_a_held_frame_counts_for_every_start_its_drawing_allows():
    """A drawing held 0-8 s answers frame 0 best; frame 1's best answer is a wrong moment (the clip
    would start at 5.0), its second the right one (1.5), which frame 2 confirms. Frame 0 allows
    both starts: it must count for the right one too, which three frames then agree on."""
    held = SceneHit("T", 1, "a", 0.0, 4.0, 8.0, 0.99, 7, held=(0.0, 8.0))
    per_frame = [
        (0.0, [held]),
        (0.5, [hit("a", 5.5, 0.97, 1), hit("a", 2.0, 0.96, 2)]),
        (1.0, [hit("a", 2.5, 0.95, 3)]),
    ]
    out = vote(per_frame, agree_s=1.0, seconds=1.0)
    assert [(c.scene.at, c.frames) for c in out] == [(pytest.approx(1.5), 3), (pytest.approx(5.0), 2)]
    assert out[0].scene.order_key == pytest.approx(0.99 + 0.96 + 0.95)


def test_a_held_frame_seeds_its_own_start_when_a_worse_answer_of_its_frame_took_the_place():
    # a clip inside a drawing held 2-8 s; frame 0 also half-matches a moment at 2.2 s: the held frames
    # agree on the middle of what they allow, not on the one weak exact answer
    held = SceneHit("T", 1, "a", 2.0, 5.0, 8.0, 0.99, 7, held=(2.0, 8.0))
    per_frame = [(0.0, [held, hit("a", 2.2, 0.7, 1)])] + [(o, [held]) for o in (0.5, 1.0, 1.5)]
    out = vote(per_frame, agree_s=1.0, seconds=1.5)
    assert (out[0].scene.at, out[0].frames) == (pytest.approx(4.25), 4)


def test_aligning_correlates_each_frame_with_each_entry_once(scene_db, tmp_path, monkeypatch):
    """The vote's answers in the best file are aligned one after another over overlapping windows
    of entries: a frame's templates (per orientation) are built once, and each entry correlated
    with them once, however many answers are aligned."""
    import animeid.scenes.clip_align as clip_align

    built, scored = [], []

    class Counting(clip_align.CropMatcher):
        def __init__(self, query, orientations=(False, True), chunk=16):
            super().__init__(query, orientations, chunk)
            self.key = (query.tobytes(), orientations)
            built.append(self.key)

        def scores(self, thumbs):
            scored.extend((self.key, t.tobytes()) for t in thumbs)
            return super().scores(thumbs)

    monkeypatch.setattr(clip_align, "CropMatcher", Counting)
    clip = tmp_path / "window.mp4"
    write_window(clip, 3, 40)                                   # 0.3 s .. 4.2 s of 'Alpha - 02'
    answer = Index.load(scene_db).search_clip(clip, k=3, cfg=ClipCfg(align_candidates=8))
    assert answer.hits[0].scene.file == "Alpha/Alpha - 02.mp4" and abs(answer.hits[0].scene.at - 0.3) <= 0.5
    assert built and len(built) == len(set(built)) <= 2 * answer.sampled
    assert len(scored) == len(set(scored))


def test_a_clip_whose_video_starts_after_its_audio_is_sampled_from_its_first_frame(tmp_path):
    """Decoding counts seconds from the container's start (as players do), and a Matroska clip's
    video track can begin seconds after its audio: the window is measured from the first frame,
    and times are the clip's own, from 0."""
    from tests.media.quirky_videos import FPS, write_video

    clip = tmp_path / "late.mkv"
    write_video(str(clip), 3 * FPS, fmt="matroska", first_pts_s=5.0, audio_s=(0.0, 8.0))
    frames = sample_clip(clip, ClipCfg(), short_side=64)
    times = [t for t, _ in frames]
    assert times[0] == pytest.approx(0.0) and 2.0 <= times[-1] < 3.0
    assert len(frames) >= 5

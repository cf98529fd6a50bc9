"""A damaged spot in the middle of a video costs the frames it damaged, not the rest of the file:
undecodable packets are skipped, as players skip them, and what was lost is said (packets the
decoder refused, and spans the demuxer skipped, seen as a jump in the frames' timestamps)."""
from __future__ import annotations

import pytest

from animeid.media.video import DecodeReport, grey_frames_between, iter_frames
from tests.media.quirky_videos import FPS, damage_middle, picture, write_video
from tests.videos import scene_frame


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    """10 s at 10 fps, a keyframe every 2.5 s, 4 kB of noise over the middle of the file: in the
    MP4 it lands in the frames' data (the decoder refuses some packets), in the MKV on its
    structure (the demuxer skips to the next cluster, 4 s later)."""
    folder = tmp_path_factory.mktemp("damaged")
    for suffix in (".mp4", ".mkv"):
        write_video(str(folder / f"d{suffix}"), 10 * FPS, options={"g": "25"})
        damage_middle(folder / f"d{suffix}")
    return folder


def test_decoding_goes_on_past_packets_the_decoder_refuses(damaged):
    times = [t for t, _ in iter_frames(damaged / "d.mp4", fps=FPS, short_side=None)]
    assert times[-1] == pytest.approx(9.9)          # it used to stop at the damage, 4.4 s in
    assert len(times) >= 75
    report = DecodeReport()
    list(iter_frames(damaged / "d.mp4", fps=FPS, short_side=None, report=report))
    assert report.skipped_packets >= 1 and 3.0 < report.skipped_from <= report.skipped_to < 7.0
    assert f"{report.skipped_packets} undecodable packets skipped between {report.skipped_from:.1f} and " \
           f"{report.skipped_to:.1f} s" in report.damage()
    # the frames that depended on them are lost too, and said
    assert all(3.0 < start < end < 8.0 for start, end in report.gaps)


def test_a_span_the_demuxer_skipped_is_reported(damaged):
    report = DecodeReport()
    times = [t for t, _ in iter_frames(damaged / "d.mkv", fps=FPS, short_side=None, report=report)]
    assert times[-1] == pytest.approx(9.9)
    assert report.skipped_packets == 0 and len(report.gaps) == 1
    start, end = report.gaps[0]
    assert 3.0 < start < end < 9.0 and end - start > 2.0
    assert f"no frames from {start:.1f} to {end:.1f} s" in report.damage()


def test_held_drawings_and_slow_frame_rates_are_not_taken_for_damage(tmp_path):
    # 3 s of one drawing at 10 fps, then a slideshow-like stretch of a picture every half second
    frames = [scene_frame(1, 0.0)] * 30 + [picture(i) for i in range(8)]
    times = [i / FPS for i in range(30)] + [3.0 + 0.5 * i for i in range(8)]
    for suffix in (".mkv", ".mp4"):
        path = tmp_path / f"held{suffix}"
        write_video(str(path), 0, frames=frames, times=times)
        report = DecodeReport()
        got = [t for t, _ in iter_frames(path, fps=FPS, short_side=None, report=report)]
        assert got[-1] == pytest.approx(6.5)
        assert not report.damaged and report.damage() == ""


def test_a_window_across_the_damage_is_decoded_on_both_sides(damaged):
    window = grey_frames_between(damaged / "d.mp4", 2.0, 7.0, 96, fps=2.0)
    assert window is not None
    times = window[0].tolist()
    assert times[0] == pytest.approx(2.0) and times[-1] == pytest.approx(7.0)   # it stopped at 4.0

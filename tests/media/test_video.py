"""Frame sampling: the fixed-rate grid, plus extra samples where the picture changes fast."""
from pathlib import Path

import av
import numpy as np
import pytest

from animeid.media.video import iter_frames
from tests.videos import scene_frame, write_frames


def write_held_then_action(path: Path, fps: int = 10) -> Path:
    """0-2 s one held drawing, 2-3 s a new drawing every frame (fast action), 3-4 s held again."""
    frames = [scene_frame(1, 0.0)] * (2 * fps) + [scene_frame(100 + i, 0.0) for i in range(fps)]
    frames += [scene_frame(2, 0.0)] * fps
    return write_frames(path, frames, fps, gop=10)


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_fixed_rate_sampling_keeps_one_frame_per_step(tmp_path, suffix):
    clip = write_held_then_action(tmp_path / f"clip{suffix}")
    times = [t for t, _ in iter_frames(clip, fps=2.0, short_side=None)]
    assert times == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5], abs=1e-6)


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_fast_action_adds_samples_only_where_the_picture_changes(tmp_path, suffix):
    clip = write_held_then_action(tmp_path / f"clip{suffix}")
    samples = list(iter_frames(clip, fps=2.0, short_side=None, motion_fps=8.0, motion_diff=12.0))
    times = np.array([t for t, _ in samples])
    grid = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]
    assert all(np.isclose(times, g).any() for g in grid)          # the grid is still all there
    extra = [t for t in times if not np.isclose(grid, t).any()]
    # every frame between 2 s and 3 s differs from the last sample; at most 8 a second are taken,
    # so from 10 fps every other frame joins: 2.2, 2.4, 2.7, 2.9
    assert extra == pytest.approx([2.2, 2.4, 2.7, 2.9], abs=1e-6)
    assert np.all(np.diff(times) > 0)
    assert all(img.shape == samples[0][1].shape for _, img in samples)


def test_resumed_sampling_adds_nothing_before_its_start(tmp_path):
    clip = write_held_then_action(tmp_path / "clip.mp4")
    times = [t for t, _ in iter_frames(clip, fps=2.0, short_side=None, start=2.6, motion_fps=8.0, motion_diff=12.0)]
    # the first frame at or after the start opens the grid; 2.7 is too soon after it (< 1/8 s)
    assert times == pytest.approx([2.6, 2.8, 3.0, 3.5], abs=1e-6)


def test_non_positive_rate_is_refused(tmp_path):
    with pytest.raises(ValueError):
        list(iter_frames(tmp_path / "missing.mp4", fps=0))


@pytest.mark.parametrize("fmt", ["yuv420p10le", "nv12", "yuv444p12le"])
def test_miniature_reads_8_and_high_bit_luma_alike(fmt):
    from animeid.media.frame_pixels import miniature

    frame = av.VideoFrame.from_ndarray(scene_frame(3, 0.0), format="rgb24")
    reference = miniature(frame.reformat(format="yuv420p"))
    other = miniature(frame.reformat(format=fmt))
    assert other.shape == reference.shape == (18, 32)
    # the same picture: well under the 12-level change that adds a sample
    assert float(np.abs(other - reference).mean()) < 1.0

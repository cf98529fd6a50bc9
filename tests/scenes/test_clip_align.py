"""Aligning a clip's frames with stored entries, worked by hand on a file of five entries: three
single samples, a drawing held from 1.5 to 3.0 s, and one more sample."""
from __future__ import annotations

import numpy as np
import pytest

from animeid.scenes.clip_align import best_start, frame_correlations, shown_entry
from animeid.scenes.refine import THUMB_H, THUMB_W

SPANS = np.array([(0.0, 0.0), (0.5, 0.5), (1.0, 1.0), (1.5, 3.0), (3.5, 3.5)])
STARTS = np.arange(0.0, 2.0, 0.1) + 0.01     # off the entries' midpoints, where two are equally near


def test_the_entry_shown_is_the_nearest_span_and_none_outside_the_file():
    assert shown_entry(0.45, SPANS) == 1
    assert shown_entry(2.2, SPANS) == 3          # inside the held drawing's span
    assert shown_entry(3.3, SPANS) == 4
    assert shown_entry(-0.5, SPANS) == 0         # within a second of the first entry
    assert shown_entry(4.6, SPANS) == -1         # more than a second after the last one


def test_frames_with_motion_fix_the_start_that_a_held_drawing_leaves_open():
    # a clip started at 0.5 s, frames every 0.5 s: entries 1, 2, then the held drawing twice
    offsets = [0.0, 0.5, 1.0, 1.5]
    ncc = np.zeros((4, 5))
    ncc[0, 1] = ncc[1, 2] = ncc[2, 3] = ncc[3, 3] = 1.0
    # every frame finds its entry for starts in (0.25, 0.75): frame 0 needs its second nearest to
    # entry 1 (0.25..0.75), frame 1 to entry 2 (0.75..1.25); the held frames allow 0.25..2.25 and
    # -0.25..1.75. The plateau's grid points are 0.31 .. 0.71, its middle 0.51. (The median of
    # the frames' own answers, with the held ones placed mid-drawing at 2.25 s, would say 0.625.)
    assert best_start(ncc, offsets, SPANS, STARTS, tie=0.005)[0] == pytest.approx(0.51)


def test_the_votes_start_stays_when_it_is_among_the_best():
    offsets = [0.0, 0.5, 1.0, 1.5]
    ncc = np.zeros((4, 5))
    ncc[0, 1] = ncc[1, 2] = ncc[2, 3] = ncc[3, 3] = 1.0
    # 0.41 is on the plateau 0.31 .. 0.71: kept; 1.21 is not (frame 0 would show entry 2): moved
    assert best_start(ncc, offsets, SPANS, STARTS, tie=0.005, keep=4)[0] == pytest.approx(0.41)
    assert best_start(ncc, offsets, SPANS, STARTS, tie=0.005, keep=12)[0] == pytest.approx(0.51)


def test_a_clip_inside_a_held_drawing_is_placed_in_the_middle_of_what_it_allows():
    offsets = [0.0, 0.5]
    ncc = np.zeros((2, 5))
    ncc[:, 3] = 1.0
    # both frames on the drawing (1.25..3.25 s): starts 1.25..2.75 -> grid 1.31 .. 1.91 (the grid
    # ends at 1.91), middle 1.61
    assert best_start(ncc, offsets, SPANS, STARTS, tie=0.005)[0] == pytest.approx(1.61)


def test_starts_that_put_frames_outside_the_file_lose():
    offsets = [0.0, 2.0]
    ncc = np.full((2, 5), 0.2)
    ncc[0, 4] = 1.0
    # frame 0 matches the last entry best, but then frame 1 (2 s later) would be after the file:
    # -1 for it. Best is a start whose both frames are inside the file.
    assert best_start(ncc, offsets, SPANS, np.array([1.5, 3.5]), tie=0.005) == (1.5, pytest.approx(0.2))


def pattern(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (THUMB_H, THUMB_W), dtype=np.uint8)


def test_correlations_are_taken_in_the_clips_orientation():
    entries = np.stack([pattern(i) for i in range(4)])
    mirrored_clip = [np.ascontiguousarray(pattern(i)[:, ::-1]) for i in (2, 0, 3)]
    ncc = frame_correlations(mirrored_clip, entries)
    assert ncc.shape == (3, 4)
    assert [int(np.argmax(row)) for row in ncc] == [2, 0, 3]
    assert ncc[0, 2] == pytest.approx(1.0, abs=1e-3) and ncc[0, 1] < 0.5


def test_correlations_kept_across_calls_are_the_ones_computed_afresh():
    from animeid.scenes.clip_align import FrameScores

    entries = np.stack([pattern(i) for i in range(6)])
    clip = [pattern(i) for i in (3, 1, 4, 5)]
    scored = FrameScores(clip)
    first = frame_correlations(clip, entries[:4], scored=scored, ids=[10, 11, 12, 13])
    second = frame_correlations(clip, entries[2:], scored=scored, ids=[12, 13, 14, 15])   # overlaps
    np.testing.assert_array_equal(first, frame_correlations(clip, entries[:4]))
    np.testing.assert_array_equal(second, frame_correlations(clip, entries[2:]))

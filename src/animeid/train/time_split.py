"""Train/test split of video frames that never puts neighbouring frames on both sides.

Several episodes of a title: whole episodes go to test. One or few videos: each is cut into time
segments and whole segments go to test, with a guard band around every train/test boundary whose
frames are dropped (a boundary inside a shot would otherwise leave near-identical frames on
either side)."""
from __future__ import annotations

import math

import numpy as np


def held_out_episodes(n_videos: int, fraction: float, rng: np.random.Generator) -> set[int]:
    """Indices of the videos that go to test when splitting by episode, or an empty set when the
    title has too few videos for a whole episode to be about `fraction` of it."""
    n_test = int(round(n_videos * fraction))
    if fraction <= 0 or n_test < 1 or n_videos - n_test < 1:
        return set()
    return {int(i) for i in rng.choice(n_videos, size=n_test, replace=False)}


def held_out_intervals(duration: float, fraction: float, segment_seconds: float,
                   rng: np.random.Generator) -> list[tuple[float, float]]:
    """Time intervals of one video that go to test (about `fraction` of its duration)."""
    if fraction <= 0 or duration <= 0:
        return []
    if duration < 2 * segment_seconds:
        # Too short for segments: one contiguous chunk at a random place.
        length = duration * fraction
        start = float(rng.uniform(0, duration - length))
        return [(start, start + length)]
    n = max(2, int(math.floor(duration / segment_seconds)))
    edges = np.linspace(0, duration, n + 1)
    n_test = max(1, int(round(n * fraction)))
    chosen = sorted(int(i) for i in rng.choice(n, size=n_test, replace=False))
    return [(float(edges[i]), float(edges[i + 1])) for i in chosen]


def split_of(t: float, intervals: list[tuple[float, float]], guard: float) -> str | None:
    """'test', 'train', or None for a frame within `guard` seconds of a train/test boundary."""
    for a, b in intervals:
        if a <= t < b:
            return "test" if (t - a >= guard or a == 0.0) and (b - t >= guard) else None
    for a, b in intervals:
        if abs(t - a) < guard or abs(t - b) < guard:
            return None
    return "train"

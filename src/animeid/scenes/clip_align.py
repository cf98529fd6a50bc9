"""Placing a clip in time by aligning all its frames at once. The vote finds roughly where a clip
starts from each frame's own best moment, but a frame of a held drawing or a crop of a pan has many
equally good moments, and one answer per frame loses that: the vote's groups around a still can
split, and its start is only as good as the exact answers in it. Here every candidate start is
scored by how well *each* sampled frame matches the thumbnail of the entry shown at its own second
under that start (as audio fingerprints are aligned): frames of a still match equally at every
start and so decide nothing, frames with motion decide."""
from __future__ import annotations

import numpy as np

from animeid.scenes.refine import CropMatcher
from animeid.scenes.search import tied_run

# A frame whose second falls this far from every stored entry is outside the file (before its
# start or after its end): it scores as badly as a correlation can.
OUTSIDE_S = 1.0


def shown_entry(t: float, spans: np.ndarray) -> int:
    """Index of the entry on screen at second `t`: the one whose from..to span is nearest (entries
    are samples; between two samples the picture is the nearer one's), -1 when none is within
    OUTSIDE_S."""
    gaps = np.maximum(spans[:, 0] - t, 0.0) + np.maximum(t - spans[:, 1], 0.0)
    j = int(np.argmin(gaps))
    return j if gaps[j] <= OUTSIDE_S else -1


def best_start(ncc: np.ndarray, offsets: list[float], spans: np.ndarray, starts: np.ndarray, tie: float,
               keep: int | None = None) -> tuple[float, float]:
    """The start (one of `starts`) under which the frames match their entries best on average.
    `ncc[i, j]` is frame i's correlation with entry j, `spans[j]` entry j's (from, to). `starts[keep]`
    (the vote's answer) stays if it is within `tie` of the best: samples half a second apart cannot
    place a clip finer than that, and the vote's median is then as good as any. Otherwise starts
    within `tie` of the best and next to it are one plateau (stills allow no finer answer): its
    middle is the answer least far from every start it allows. Returns (start, its mean correlation)."""
    totals = []
    for s in starts:
        picks = [shown_entry(s + o, spans) for o in offsets]
        totals.append(float(np.mean([ncc[i, j] if j >= 0 else -1.0 for i, j in enumerate(picks)])))
    best = int(np.argmax(totals))
    if keep is not None and totals[keep] >= totals[best] - tie:
        return float(starts[keep]), totals[best]
    lo, hi = tied_run(totals, best, tie)
    return float((starts[lo] + starts[hi]) / 2), totals[best]


class FrameScores:
    """Correlations of a clip's frames with entries, each computed once per clip. A clip's answers
    in one file are aligned one after another, over windows of entries that mostly overlap (the
    vote splits a clip around a held drawing into answers a second or two apart): rebuilding each
    frame's templates and correlating it again with the same entries would do most of the work
    twice or more."""

    def __init__(self, thumbs: list[np.ndarray]):
        self.thumbs = thumbs
        self.matchers: dict[tuple[int, bool], CropMatcher] = {}
        self.cache: dict[tuple[int, bool, int], float] = {}

    def scores(self, i: int, flip: bool, ids: list[int], entry_thumbs: np.ndarray) -> np.ndarray:
        todo = [j for j, e in enumerate(ids) if (i, flip, e) not in self.cache]
        if todo:
            if (i, flip) not in self.matchers:
                self.matchers[(i, flip)] = CropMatcher(self.thumbs[i], (flip,))
            values = self.matchers[(i, flip)].scores(entry_thumbs[todo])
            self.cache.update({(i, flip, ids[j]): float(v) for j, v in zip(todo, values)})
        return np.array([self.cache[(i, flip, e)] for e in ids], np.float32)


def frame_correlations(thumbs: list[np.ndarray], entry_thumbs: np.ndarray, probe: int = 3,
                       scored: FrameScores | None = None, ids: list[int] | None = None) -> np.ndarray:
    """(frames x entries) thumbnail correlation, in the clip's orientation: a mirrored clip is
    mirrored throughout, so the orientation is decided once, on the first `probe` frames. `scored`
    (for these `thumbs`) keeps what was computed for entries `ids` (one id space) across calls."""
    scored = FrameScores(thumbs) if scored is None else scored
    ids = list(range(len(entry_thumbs))) if ids is None else list(ids)
    first = range(min(probe, len(thumbs)))
    straight = [scored.scores(i, False, ids, entry_thumbs) for i in first]
    mirrored = [scored.scores(i, True, ids, entry_thumbs) for i in first]
    flip = sum(m.max() for m in mirrored) > sum(s.max() for s in straight)
    probed = mirrored if flip else straight
    rest = [scored.scores(i, flip, ids, entry_thumbs) for i in range(len(probed), len(thumbs))]
    return np.stack(probed + rest)


def aligned_start(index, entry_id: int, thumbs: list[np.ndarray], offsets: list[float], start: float,
                  seconds: float, reach: float, step: float, tie: float,
                  scored: FrameScores | None = None) -> tuple[float, float] | None:
    """The clip's start within `reach` of `start`, by aligning its frames' thumbnails with the
    entries of the file holding `entry_id` (an `Index` or `ShardedIndex` id), and how well the clip
    fits there (mean correlation); None when the file has too few entries with thumbnails there to
    say anything. `scored`: see `FrameScores`."""
    from animeid.scenes.refine import THUMB_H, THUMB_W

    located = index.locate(entry_id)
    record = located[0].store.entries([located[1]]).get(located[1]) if located else None
    if record is None:
        return None
    rows = [r for r in located[0].store.window(record.file_id, start - reach - OUTSIDE_S,
                                               start + seconds + reach + OUTSIDE_S) if r[4]]
    if len(rows) < 2:
        return None
    entry_thumbs = np.stack([np.frombuffer(r[4], np.uint8).reshape(THUMB_H, THUMB_W) for r in rows])
    spans = np.array([(r[1], r[3]) for r in rows], dtype=np.float64)
    n = int(round(reach / step))
    starts = start + step * np.arange(-n, n + 1)
    starts = starts[starts >= 0]                    # a clip cannot start before its file
    keep = int(np.argmin(np.abs(starts - start)))   # `start` itself (a vote never answers below 0)
    ncc = frame_correlations(thumbs, entry_thumbs, scored=scored, ids=[r[0] for r in rows])
    return best_start(ncc, offsets, spans, starts, tie, keep)

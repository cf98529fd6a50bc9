"""Placing a clip in time by aligning all its frames at once. The vote puts the clip's start at the
median of what each frame says, but a frame of a held drawing says "the middle of the drawing",
whatever second it was taken at: a clip that runs into a 4-second still is pulled towards it. Here
every candidate start is scored by how well *each* sampled frame matches the thumbnail of the entry
shown at its own second under that start (as audio fingerprints are aligned): frames of a still
match equally at every start and so decide nothing, frames with motion decide."""
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


def frame_correlations(thumbs: list[np.ndarray], entry_thumbs: np.ndarray, probe: int = 3) -> np.ndarray:
    """(frames x entries) thumbnail correlation, in the clip's orientation: a mirrored clip is
    mirrored throughout, so the orientation is decided once, on the first `probe` frames."""
    first = thumbs[:probe]
    straight = sum(CropMatcher(q, (False,)).scores(entry_thumbs).max() for q in first)
    mirrored = sum(CropMatcher(q, (True,)).scores(entry_thumbs).max() for q in first)
    flip = (True,) if mirrored > straight else (False,)
    return np.stack([CropMatcher(q, flip).scores(entry_thumbs) for q in thumbs])


def aligned_start(index, entry_id: int, thumbs: list[np.ndarray], offsets: list[float], start: float,
                  seconds: float, reach: float, step: float, tie: float) -> tuple[float, float] | None:
    """The clip's start within `reach` of `start`, by aligning its frames' thumbnails with the
    entries of the file holding `entry_id` (an `Index` or `ShardedIndex` id), and how well the clip
    fits there (mean correlation); None when the file has too few entries with thumbnails there to
    say anything."""
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
    return best_start(frame_correlations(thumbs, entry_thumbs), offsets, spans, starts, tie, keep)

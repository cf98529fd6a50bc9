"""Query frames a scene index never kept, for measuring search on pictures it has not seen.

Stepping off the fixed sampling grid is not enough: fast-action samples (`IndexCfg.motion_fps`)
land between grid points, and in a short, lively clip most frames are kept. So the frames the
indexer keeps are recomputed with the index's own settings and excluded."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from animeid.config import IndexCfg


def sampled_times(path: Path, cfg: IndexCfg) -> set[float]:
    """The frames the indexer keeps with `cfg`: the fixed-rate grid and the fast-action samples."""
    from animeid.media.video import iter_frames

    return {round(t, 4) for t, _ in iter_frames(path, cfg.fps, 32, motion_fps=cfg.motion_fps,
                                                   motion_diff=cfg.motion_diff)}


def unsampled_query_times(path: Path, cfg: IndexCfg, duration: float, n: int) -> list[float]:
    """n seconds spread over the clip, each showing a frame the indexer never kept: the frame
    nearest to each of n evenly spread instants among the unsampled ones, queried a third of the
    way into its display time. Fewer than n distinct frames when few are unsampled."""
    from animeid.media.video import frame_times

    frames = frame_times(path)
    sampled = sampled_times(path, cfg)
    ends = frames[1:] + [duration]
    free = [(t, e) for t, e in zip(frames, ends) if round(t, 4) not in sampled]
    if not free:
        return []
    picks = []
    for q in np.linspace(0.05, 0.95, n) * duration:
        t, e = min(free, key=lambda f: abs(f[0] - q))
        picks.append(float(t + (max(e, t + 1e-3) - t) / 3))
    return picks

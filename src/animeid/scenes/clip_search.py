"""Clips as queries. A GIF or a few seconds of video is many screenshots whose spacing is known: each
sampled frame is searched on its own, and the answers that agree on where the clip starts (answer
time minus the frame's offset in the clip) vote together. So one frame of a held drawing, a crop of
a pan or a frame that happens to look like another episode cannot outvote the rest of the clip, and
a clip that runs past a held drawing pins down when that drawing was shown."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from animeid.config import ClipCfg, IndexCfg
from animeid.errors import BadVideo
from animeid.scenes.hits import SceneHit


@dataclass(frozen=True)
class ClipHit:
    """`scene.at` and `scene.from_` are where the clip's first sampled frame falls in the episode,
    `scene.to` where its last one does; `frames` is how many sampled frames agree with that."""

    scene: SceneHit
    frames: int

    def to_dict(self) -> dict:
        return {**self.scene.to_dict(), "frames": self.frames}


@dataclass(frozen=True)
class ClipAnswer:
    hits: list[ClipHit]
    sampled: int
    seconds: float

    def to_dict(self) -> dict:
        return {"frames": self.sampled, "seconds": round(self.seconds, 3)}


def is_clip(source) -> bool:
    """A file to search as a clip: a video by its extension, or a GIF with more than one frame (a
    one-frame GIF is a picture). Anything else, or a GIF that cannot be opened, goes to the image
    loader, which says what is wrong with it."""
    if not isinstance(source, (str, os.PathLike)):
        return False
    suffix = Path(source).suffix.lower()
    if suffix != ".gif":
        return suffix in IndexCfg().video_extensions
    try:
        from PIL import Image

        with Image.open(source) as im:
            return getattr(im, "n_frames", 1) > 1
    except Exception:
        return False


def sample_clip(path: str | os.PathLike, cfg: ClipCfg, short_side: int | None) -> list[tuple[float, np.ndarray]]:
    """(seconds from the clip's first frame, RGB) at `cfg.fps`, slowed down so that at most
    `cfg.max_frames` cover the first `cfg.max_seconds` of the clip."""
    from animeid.media.video import iter_frames, probe

    duration = min(probe(Path(path)).duration, cfg.max_seconds)
    fps = min(cfg.fps, cfg.max_frames / duration) if duration > 0 else cfg.fps
    frames: list[tuple[float, np.ndarray]] = []
    stream = iter_frames(Path(path), fps=fps, short_side=short_side)
    try:
        for t, rgb in stream:
            if t > cfg.max_seconds or len(frames) == cfg.max_frames:
                break
            frames.append((t, rgb))
    finally:
        stream.close()
    if not frames:
        raise BadVideo(f"{path}: no decodable frames")
    return frames


def vote(per_frame: list[tuple[float, list[SceneHit]]], agree_s: float, seconds: float) -> list[ClipHit]:
    """Group every frame's answers by file and implied start (answer time - frame offset), best
    answers first: an answer joins the first group of its file whose start is within `agree_s` of
    its own, and each frame counts at most once per group. Groups rank by the summed similarity of
    their frames (agreement of many frames beats one very similar frame), then by mean similarity.
    A group's start is the median of its frames' starts: a held drawing's frames, placed at the
    middle of the drawing, cannot drag it far."""
    answers = sorted(((h.similarity, i, offset, h) for i, (offset, hits) in enumerate(per_frame) for h in hits),
                     key=lambda c: (-c[0], c[1]))
    groups: list[tuple[str, float, dict[int, tuple[float, SceneHit]]]] = []
    for _, i, offset, hit in answers:
        start = hit.at - offset
        for file, anchor, members in groups:
            if file == hit.file and abs(start - anchor) <= agree_s:
                members.setdefault(i, (start, hit))
                break
        else:
            groups.append((hit.file, start, {i: (start, hit)}))
    out = []
    for _, _, members in groups:
        starts = [s for s, _ in members.values()]
        sims = [h.similarity for _, h in members.values()]
        best = max(members.values(), key=lambda m: m[1].similarity)[1]
        start = max(float(np.median(starts)), 0.0)
        scene = SceneHit(title=best.title, episode=best.episode, file=best.file, from_=start, at=start,
                         to=start + seconds, similarity=float(np.mean(sims)), entry_id=best.entry_id,
                         file_id=best.file_id, rank_score=float(np.sum(sims)))
        out.append(ClipHit(scene, len(members)))
    return sorted(out, key=lambda c: (-c.scene.order_key, -c.scene.similarity))


def search_clip(index, path: str | os.PathLike, k: int | None = None, title: str | None = None,
                cfg: ClipCfg = ClipCfg()) -> ClipAnswer:
    """Scenes where the clip at `path` comes from, best first. `index` is an `Index` or a
    `ShardedIndex`: each sampled frame goes through its ordinary `search`."""
    frames = sample_clip(path, cfg, index.search_cfg.query_short_side)
    t0 = frames[0][0]
    per_frame = [(t - t0, index.search(rgb, k=cfg.per_frame_k, title=title)) for t, rgb in frames]
    seconds = frames[-1][0] - t0
    return ClipAnswer(vote(per_frame, cfg.agree_s, seconds)[: k or index.search_cfg.k], len(frames), seconds)

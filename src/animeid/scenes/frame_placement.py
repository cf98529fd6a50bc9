"""Placing the best answer on its exact frame, by decoding the video around it.

The index keeps a few samples a second, and a screenshot is almost never one of them: between two
samples, a crop of a pan or of a character moving over a still background fits a sample a second
or two away as well as its own neighbour. The library's video still holds every frame, so when the
answer's file is reachable and unchanged since it was indexed, the seconds around the answer are
decoded and the screenshot is correlated with each frame, under the crop, scale and orientation
that fit it best. A held drawing matches many frames alike: the answer is then the middle of that
run, and `held` its span. Without the file (or within a decoding budget) the index's answer stands.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from typing import Callable

import numpy as np

from animeid.config import SearchCfg
from animeid.errors import BadVideo
from animeid.media.video import fingerprint, grey_frames_between
from animeid.scenes.exact_frame import pin_exact_frame
from animeid.scenes.frame_correlation import FrameStack, Template, fit_template
from animeid.scenes.hits import SceneHit
from animeid.scenes.search import tied_run

log = logging.getLogger(__name__)

# Frames are decoded `SearchCfg.frame_width` wide and squashed to at most this many times that
# high. The screenshot's template is scaled to the frame's shape anyway, so squashing costs nothing
# but detail; a library file of an extreme shape (2x1000 pixels: 160x80000 a frame) would
# otherwise take tens of GB for one window.
TALLEST_FRAME = 4


def place_top_scene(index, hits: list[SceneHit], query_grey: np.ndarray | None, cfg: SearchCfg,
                    native: Callable[[], np.ndarray | None] | None = None) -> list[SceneHit]:
    """`hits` with the first one placed on its frame (see the module's docstring). `index` is an
    `Index` or a `ShardedIndex`: anything whose `locate(entry_id)` gives the index holding it.
    `native` gives the screenshot at its own size, for a long hold (`animeid.scenes.exact_frame`)."""
    if not hits or query_grey is None or not cfg.frame_placement:
        return hits
    path = _unchanged_video(index, hits[0])
    if path is None:
        return hits
    top = hits[0]
    try:
        window = grey_frames_between(path, max(0.0, top.at - cfg.frame_window_s), top.at + cfg.frame_window_s,
                                     cfg.frame_width, cfg.frame_fps, cfg.frame_max_decoded_pixels,
                                     max_height=TALLEST_FRAME * cfg.frame_width)
    except (BadVideo, OSError) as exc:   # a damaged library file must not cost the answer the index gave
        log.debug("frame placement skipped: %s", exc)
        return hits
    if window is None:
        return hits
    placed, template = placed_with_template(top, *window, query_grey, cfg.frame_tie_ncc, cfg.frame_tie_share,
                                            cfg.frame_min_ncc)
    if cfg.exact_frame and native is not None and template is not None:
        placed = pin_exact_frame(path, placed, native, template, cfg)
    return [placed] + hits[1:]


def place_on_frames(scene: SceneHit, times: np.ndarray, frames: np.ndarray, query_grey: np.ndarray,
                    tie: float, tie_share: float = 0.0, min_ncc: float = 0.5) -> SceneHit:
    """The scene moved to the frame among `frames` (shown at `times`) that the screenshot fits best.
    The crop is fitted on the frame nearest the scene's answer (any frame of the shot would do),
    then kept for every frame: the screenshot is one crop of one frame."""
    return placed_with_template(scene, times, frames, query_grey, tie, tie_share, min_ncc)[0]


def placed_with_template(scene: SceneHit, times: np.ndarray, frames: np.ndarray, query_grey: np.ndarray,
                         tie: float, tie_share: float = 0.0, min_ncc: float = 0.5) -> tuple[SceneHit, Template | None]:
    """`place_on_frames`, with the template fitted (None when the scene was not moved)."""
    stack = FrameStack(frames)
    anchor = int(np.argmin(np.abs(times - scene.at)))
    template, _ = fit_template(query_grey, frames[anchor])
    scores = stack.scores(query_grey, template)
    best = float(scores.max())
    if best < min_ncc:   # the screenshot is not in these frames (another file, a heavy edit): no evidence
        return scene, None
    # a noisy screenshot (JPEG, tint) correlates less, and less evenly, with identical frames
    lo, hi = tied_run(scores.tolist(), int(np.argmax(scores)), max(tie, tie_share * (1.0 - best)))
    # the middle of the held drawing's run: the answer least far from every second of it (the same
    # drawing further away, as in an animation cycle, is not counted: the median of every frame
    # that ties was measured worse)
    at = float(times[lo] + times[hi]) / 2
    held = (float(times[lo]), float(times[hi])) if hi > lo else None
    # the scene spans the whole drawing: from/to, not only Python's `held`, tell a user of the
    # JSON every second the screenshot could have been taken at
    first, last = held or (at, at)
    return replace(scene, at=at, held=held, from_=min(scene.from_, first), to=max(scene.to, last)), template


def _unchanged_video(index, hit: SceneHit):
    """The answer's video file, if it is reachable and still the file that was indexed."""
    located = index.locate(hit.entry_id)
    if located is None:
        return None
    holder = located[0]
    path = holder.video_path(hit.file)
    record = holder.store.file_by_path(hit.file)
    if path is None or record is None:
        return None
    try:
        return path if fingerprint(path) == record.fingerprint else None
    except OSError:
        return None

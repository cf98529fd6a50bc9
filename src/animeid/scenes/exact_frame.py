"""Pinning the exact frame of a held drawing, when the screenshot is at the video's own size.

Anime holds one drawing for many frames, and frame placement (160 px, 8 frames a second) then
answers the middle of the run: a 5 s hold can be 2.5 s off. The frames of a hold are not bit-for-bit
alike, though: each carries its own codec noise, a grey level or two. A screenshot taken from a
player at the video's size (or a crop of one, which keeps that size) carries its frame's noise,
so at full size, at the offset where it sits, it correlates with its own frame to within ~1e-4 of
1, and with the others of the hold mostly a little less (their residual is larger by 0.005 % to a
few per cent, so a neighbouring frame sometimes wins). A screenshot scaled by more than
`SIZE_SLACK` is not tried; one re-encoded or tinted mostly stays below `SearchCfg.exact_min_ncc`,
and the middle of the run then stands."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

from animeid.config import SearchCfg
from animeid.errors import BadImage, BadVideo
from animeid.scenes.frame_correlation import CAPTION_ROWS, FrameStack, Template, standardised
from animeid.scenes.hits import SceneHit

# A screenshot may be at the video's size when it is within this share of the size its template says
# (the template is fitted at 160 px, on a grid of shares); only an exact fit then decides.
SIZE_SLACK = 0.15
# Decoded beyond the run at either end: its ends were found among frames 1/8 s apart.
MARGIN_S = 0.15
# Frames scoring within this of each other are taken for the same pixels. Bit-identical frames
# score exactly alike; distinct frames of a hold were measured from ~4e-8 to ~5e-6 apart, so
# anything above 0 would merge some of them.
IDENTICAL = 0.0
# At most this many pixels of grey frames held at once (~160 MB): a hold of 3 s of 1080p at 24 fps,
# 7 s of 720p; a longer one keeps its middle (an audit measured 700 MB at the first cap, 3.2e8).
MAX_HELD_PIXELS = 1.6e8


def native_grey_loader(image, limits, trim: bool) -> Callable[[], np.ndarray | None]:
    """The screenshot at its own size, grey and trimmed as its views are, decoded only if a hold
    asks for it (most answers never do). A file object is read again from where it stood; one
    that cannot seek (a pipe) gives None."""
    from animeid.media.images import _is_file_object

    position = None
    if _is_file_object(image):
        try:
            position = image.tell()
        except (OSError, ValueError, AttributeError):
            return lambda: None

    def load() -> np.ndarray | None:
        from PIL import Image

        from animeid.media.borders import trim_borders
        from animeid.media.images import load_image

        try:
            if position is not None:
                image.seek(position)
            rgb = load_image(image, limits)
        except (BadImage, OSError, ValueError):
            return None
        return np.asarray(Image.fromarray(trim_borders(rgb) if trim else rgb).convert("L"))

    return load


def pin_exact_frame(path: Path, scene: SceneHit, native: Callable[[], np.ndarray | None], template: Template,
                    cfg: SearchCfg) -> SceneHit:
    """`scene` answered at the frame of its hold that the full-size screenshot fits best, or
    unchanged (no long hold, a screenshot of another size, no frame fitting at `exact_min_ncc`).
    Only the hold's frames are looked at: those outside it differ visibly already at 160 px, and
    the codec noise that tells the frames of a hold apart is too faint to say whether a frame
    outside them would fit better (measured: the screenshot's own frame leaves a residual at most
    ~10 % below the next best frame's, often far less). `native` gives the screenshot at its own
    size (`native_grey_loader`); it is called only for a hold long enough."""
    from animeid.media.video import grey_frames_between
    from animeid.media.video_container import probe

    if scene.held is None or scene.held[1] - scene.held[0] < cfg.exact_min_run_s:
        return scene
    native = native()
    if native is None:
        return scene
    try:
        info = probe(path)
        size = _video_size(native.shape, template, info.width, info.height)
        start, end = max(0.0, scene.held[0] - MARGIN_S), scene.held[1] + MARGIN_S
        if size is None or (end - start) * max(info.fps, 1.0) * size[0] * size[1] > MAX_HELD_PIXELS:
            return scene
        decoded = grey_frames_between(path, start, end, size[0], None, cfg.frame_max_decoded_pixels,
                                      max_height=size[1])
    except (BadVideo, OSError):
        return scene
    if decoded is None:
        return scene
    times, frames = decoded
    anchor = int(np.argmin(np.abs(times - scene.at)))   # a frame of the hold: where the screenshot sits
    query = native[:, ::-1] if template.flip else native
    # burned-in subtitles sit at the bottom: the rows above them are tried too
    top = query[:max(1, int(round(query.shape[0] * CAPTION_ROWS)))]
    scores = np.maximum(exact_fits(query, frames, anchor), exact_fits(top, frames, anchor))
    best = float(scores.max())
    if best < cfg.exact_min_ncc:
        return scene
    # frames decoded bit for bit alike (a codec copying a still picture) tie: their middle, as the
    # hold's middle was for frames alike up to their noise
    tied = np.flatnonzero(scores >= best - IDENTICAL)
    at = float(times[tied[0]] + times[tied[-1]]) / 2
    return replace(scene, at=at, from_=min(scene.from_, at), to=max(scene.to, at))


def _video_size(shape: tuple[int, int], template: Template, width: int, height: int) -> tuple[int, int] | None:
    """(width, height) the frames are shown at, if the screenshot is at that size (either way
    round: a rotated video's frames are shown turned), else None."""
    h, w = shape
    for fw, fh in ((width, height), (height, width)):
        if fw > 0 and fh > 0 and w <= fw and h <= fh and \
                abs(w / (template.fx * fw) - 1) <= SIZE_SLACK and abs(h / (template.fy * fh) - 1) <= SIZE_SLACK:
            return fw, fh
    return None


def exact_fits(query: np.ndarray, frames: np.ndarray, anchor: int | None = None) -> np.ndarray:
    """Correlation of the unscaled screenshot with each frame, at the one offset where it fits the
    `anchor` frame (default: the middle one) best: a hold does not move."""
    n, fh, fw = frames.shape
    h, w = query.shape
    if h > fh or w > fw:
        return np.full(n, -1.0)
    template = standardised(query.astype(np.float64))
    fits = FrameStack(frames[n // 2 if anchor is None else anchor][None], np.float64).correlations(template)[0]
    y, x = np.unravel_index(int(np.argmax(fits)), fits.shape)
    # in float64: the frames of a hold differ by ~1e-6 in correlation, and a float32 sum over a
    # million pixels errs by more (measured: it lost right answers)
    return np.array([float(np.dot(standardised(f[y:y + h, x:x + w].astype(np.float64)).ravel(), template.ravel())
                           / template.size) for f in frames])

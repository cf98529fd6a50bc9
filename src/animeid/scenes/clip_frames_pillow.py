"""Animated WebP clips, decoded with Pillow: FFmpeg (libavcodec 62 here) demuxes an animated WebP
as a single packet and fails to decode it ("Invalid data found when processing input"), while
Pillow's libwebp reads it. `clip_search.sample_clip` holds these frames to the rules it holds a
video's to; this module only times and decodes them, as `media.video.iter_frames` does a video's."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np

from animeid.config import ImageLimits
from animeid.errors import BadVideo


def _seconds(duration_ms) -> float:
    """A frame's display time: 10 ms or less (0 = "as fast as you can") plays at 100 ms, as
    browsers play it and as FFmpeg plays such a GIF, or a clip of zero-delay frames would be
    one instant."""
    ms = float(duration_ms or 0)
    return (ms if ms > 10 else 100.0) / 1000


def _open(path: Path):
    from PIL import Image

    from animeid.media.images import bomb_warning_ignored

    try:
        with bomb_warning_ignored():  # held to the clip's ImageLimits instead, as a video's frames
            return Image.open(path, formats=["WEBP"])
    except Exception as exc:  # PIL raises many types for a truncated or corrupt file
        raise BadVideo(f"{path}: not a readable animated WebP ({type(exc).__name__}: {exc})") from None


def webp_timings(path: Path) -> tuple[tuple[int, int], list[tuple[float, float]]]:
    """The canvas size and each frame's (start, duration) in seconds, without decoding a frame:
    the durations of the RIFF file's ANMF chunks, which libwebp shows the frames for. Only the
    chunks inside the RIFF size count: libwebp reads no further, so frames in chunks after it (a
    writer that appended them without updating the header) are never shown, and counting them
    would stretch the window `sample_clip` spreads its frames over. Chunk headers are read one by one, not the
    whole file: Pillow already holds a copy of it."""
    with _open(path) as im:
        size = im.size
    timings, t, pos = [], 0.0, 12
    with Path(path).open("rb") as f:
        end = 8 + int.from_bytes(f.read(12)[4:8], "little")
        while pos + 8 <= end:
            f.seek(pos)
            head = f.read(23)
            if len(head) < 8:
                break
            kind, length = head[:4], int.from_bytes(head[4:8], "little")
            if kind == b"ANMF" and len(head) == 23:  # X, Y, width-1, height-1, then the duration
                d = _seconds(int.from_bytes(head[20:23], "little"))
                timings.append((t, d))
                t += d
            pos += 8 + length + (length & 1)
    return size, timings


def iter_webp_frames(path: Path, fps: float, short_side: int | None,
                     limits: ImageLimits = ImageLimits()) -> Iterator[tuple[float, np.ndarray]]:
    """(seconds, RGB) of the first frame shown at or after every 1/fps seconds, each frame starting
    where the durations of those before it end. Transparency is laid on white and the frames
    shrunk as the image loader does a picture. Every frame is decoded (each is drawn over the one
    before); a frame that fails ends a truncated file, as it does a video."""
    from animeid.media.images import bomb_warning_ignored, load_image

    step, next_t, t = 1.0 / fps, 0.0, 0.0
    with _open(path) as im:
        for n in range(im.n_frames):
            try:
                im.seek(n)
                im.load()
            except (OSError, EOFError, ValueError) as exc:
                if n == 0:
                    raise BadVideo(f"{path}: cannot decode ({type(exc).__name__}: {exc})") from None
                return
            if t + 1e-6 >= next_t:
                with bomb_warning_ignored():  # the loader crops it in bands, each checked by PIL
                    rgb = load_image(im, limits, short_side)
                yield t, rgb
                next_t = (int(t / step + 1e-6) + 1) * step
            t += _seconds(im.info.get("duration"))

"""Generated test clips: synthetic 'episodes' of distinct scenes with motion, written with PyAV.
Nothing copyrighted; each clip is a few hundred kB at most."""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np


def scene_frame(seed: int, t: float, w: int = 192, h: int = 144) -> np.ndarray:
    """A scene (seed) is a gradient between two colours at some angle with a few coloured discs and
    stripes; a square moves across it over time, as characters move over still backgrounds."""
    rng = np.random.default_rng(seed)
    c0, c1 = rng.integers(0, 255, 3), rng.integers(0, 255, 3)
    angle = rng.uniform(0, np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    g = (np.cos(angle) * xx / w + np.sin(angle) * yy / h)
    g = (g - g.min()) / max(float(np.ptp(g)), 1e-6)
    img = c0[None, None, :] * (1 - g[..., None]) + c1[None, None, :] * g[..., None]
    freq = rng.uniform(0.05, 0.3)
    img += 25 * np.sin(freq * (xx if rng.random() < 0.5 else yy))[..., None]
    for _ in range(3):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(10, 40)
        img[(xx - cx) ** 2 + (yy - cy) ** 2 < r * r] = rng.integers(0, 255, 3)
    img = np.clip(img, 0, 255).astype(np.uint8)
    x = int((t * 40) % (w - 30))
    img[50:80, x:x + 30] = rng.integers(0, 255, 3, dtype=np.uint8)
    return img


def write_frames(path: Path, frames: list[np.ndarray], fps: int = 10, gop: int = 25) -> Path:
    """RGB frames as a video: H.264 (MPEG-4 part 2 for .avi), or a GIF through FFmpeg's encoder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    codec = {".gif": "gif", ".avi": "mpeg4", ".wmv": "wmv2", ".mpg": "mpeg2video",
             ".mpeg": "mpeg2video"}.get(path.suffix, "libx264")
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = "rgb8" if codec == "gif" else "yuv420p"
        if codec == "libx264":
            stream.options = {"preset": "ultrafast", "g": str(gop)}
        for img in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_gif(path: Path, frames: list[np.ndarray], delay_ms: int = 100) -> Path:
    """RGB frames as an animated GIF written by Pillow (a 256-colour palette per frame, as chat apps
    make them), each shown `delay_ms`."""
    return _write_animation(path, frames, delay_ms)


def write_webp(path: Path, frames: list[np.ndarray], delay_ms: int | list[int] = 100, lossless: bool = False) -> Path:
    """RGB frames as an animated WebP written by Pillow (lossy, as chat apps send them, unless
    `lossless`), each shown `delay_ms` (or its own of a list)."""
    return _write_animation(path, frames, delay_ms, format="WEBP", lossless=lossless, quality=90)


def write_apng(path: Path, frames: list[np.ndarray], delay_ms: int | list[int] = 100) -> Path:
    """RGB frames as an animated PNG written by Pillow, each shown `delay_ms` (or its own of a list)."""
    return _write_animation(path, frames, delay_ms, format="PNG")


def _write_animation(path: Path, frames: list[np.ndarray], delay_ms, **options) -> Path:
    from PIL import Image

    pictures = [Image.fromarray(f) for f in frames]
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=delay_ms, loop=0, **options)
    return Path(path)


def write_clip(path: Path, seeds: list[int], seconds_per_scene: float = 2.0, fps: int = 10,
               w: int = 192, h: int = 144) -> Path:
    n_per = int(seconds_per_scene * fps)
    frames = [scene_frame(seed, (i * n_per + j) / fps, w, h) for i, seed in enumerate(seeds) for j in range(n_per)]
    return write_frames(path, frames, fps)


def make_library(root: Path) -> Path:
    """Two titles, three files: scenes never repeat across files."""
    write_clip(root / "Alpha" / "Alpha - 01.mp4", [1, 2, 3, 4])
    write_clip(root / "Alpha" / "Alpha - 02.mp4", [5, 6, 7])
    write_clip(root / "Beta" / "[Grp] Beta S01E03 [720p].mkv", [8, 9, 10])
    return root

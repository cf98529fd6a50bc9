"""Generated fixtures: short videos made of 'shots' (blocky random patterns with a little motion)
and small labelled image folders. Nothing here comes from ../shared/data."""
from pathlib import Path

import numpy as np


def pattern(seed: int, h: int = 96, w: int = 128) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8)
    return np.repeat(np.repeat(small, h // 6, axis=0), w // 8, axis=1)


def write_video(path: Path, shots: list[int | None], fps: int = 10, shot_seconds: float = 1.0) -> Path:
    """One shot per entry: a pattern seed, or None for a blurred (flat grey) shot."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 128, 96, "yuv420p"
        stream.bit_rate = 2_000_000
        for seed in shots:
            base = pattern(seed) if seed is not None else np.full((96, 128, 3), 128, np.uint8)
            for k in range(int(fps * shot_seconds)):
                frame = np.roll(base, k, axis=1)  # slow pan: near-duplicates within a shot
                out.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")))
        out.mux(stream.encode())
    return path


def write_image_classes(root: Path, classes: int = 3, per_class: int = 6, size: int = 64) -> Path:
    """root/<class>/<i>.png: each class a colour family with random blocks."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for c in range(classes):
        d = root / f"class{c}"
        d.mkdir(parents=True, exist_ok=True)
        hue = np.zeros(3)
        hue[c % 3] = 200
        for i in range(per_class):
            img = rng.integers(0, 55, size=(8, 8, 3)) + hue
            img = np.repeat(np.repeat(img, size // 8, 0), size // 8, 1).astype(np.uint8)
            Image.fromarray(img).save(d / f"{i}.png")
    return root

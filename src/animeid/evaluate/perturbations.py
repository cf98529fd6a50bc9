"""The ways real screenshots differ from the frames that were indexed, as reproducible functions:
the eight query variants of the scene-search benchmark, also used by the demo and the tests."""
from __future__ import annotations

import io
from typing import Callable

import numpy as np


def clean(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return img


def jpeg_q30(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=30)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def small_320(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    from PIL import Image

    h, w = img.shape[:2]
    return np.asarray(Image.fromarray(img).resize((320, max(1, round(h * 320 / w))), Image.BILINEAR))


def letterbox_12(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape[:2]
    bar = max(1, round(0.12 * h))
    out = np.zeros((h + 2 * bar, w, 3), dtype=np.uint8)
    out[bar:bar + h] = img
    return out


def crop_70(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random crop keeping 70% of the area, with a random aspect change of up to ±20%."""
    h, w = img.shape[:2]
    aspect = float(np.exp(rng.uniform(np.log(0.8), np.log(1.25))))
    ch = min(h, int(round(h * np.sqrt(0.7 / aspect))))
    cw = min(w, int(round(0.7 * h * w / ch)))
    y = int(rng.integers(0, h - ch + 1))
    x = int(rng.integers(0, w - cw + 1))
    return np.ascontiguousarray(img[y:y + ch, x:x + cw])


def mirror(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.ascontiguousarray(img[:, ::-1])


def captions(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Two lines of white, black-outlined subtitle text at the bottom."""
    from PIL import Image, ImageDraw, ImageFont

    pil = Image.fromarray(img)
    draw = ImageDraw.Draw(pil)
    h, w = img.shape[:2]
    size = max(10, h // 14)
    try:
        font = ImageFont.load_default(size=size)
    except TypeError:
        font = ImageFont.load_default()
    lines = ["I never thought I would see", "this place again, not like this."]
    for i, line in enumerate(lines):
        y = h - (len(lines) - i) * int(size * 1.3) - h // 30
        tw = draw.textlength(line, font=font)
        draw.text(((w - tw) / 2, y), line, fill=(255, 255, 255), font=font,
                  stroke_width=max(1, size // 10), stroke_fill=(0, 0, 0))
    return np.asarray(pil)


def bright_hue(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """+30% brightness and a slight hue shift (about 8 degrees)."""
    from PIL import Image

    hsv = np.asarray(Image.fromarray(img).convert("HSV")).astype(np.int16)
    hsv[..., 0] = (hsv[..., 0] + 6) % 256
    channels = [Image.fromarray(np.ascontiguousarray(hsv[..., i]).astype(np.uint8)) for i in range(3)]
    rgb = np.asarray(Image.merge("HSV", channels).convert("RGB")).astype(np.float32)
    return np.clip(rgb * 1.3, 0, 255).astype(np.uint8)


VARIANTS: dict[str, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    "clean": clean, "jpeg_q30": jpeg_q30, "320px": small_320, "letterbox": letterbox_12,
    "crop70": crop_70, "mirror": mirror, "captions": captions, "bright_hue": bright_hue,
}

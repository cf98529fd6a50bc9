"""Training augmentations in numpy and PIL (torchvision is not available offline): random resized
crop, horizontal flip, colour jitter and JPEG re-compression. Screenshots people search with are
cropped, mirrored, re-encoded and colour-shifted, so the model should not care about any of that.
Each function takes an explicit numpy Generator, so views are reproducible from a seed."""
from __future__ import annotations

import io

import numpy as np

from animeid.train.config import AugmentCfg


def random_resized_crop(img: np.ndarray, rng: np.random.Generator, scale=(0.5, 1.0),
                        ratio=(3 / 4, 4 / 3)) -> np.ndarray:
    """A random area fraction in `scale` with aspect ratio in `ratio` (the crop is not resized here;
    the embedder's preprocessing resizes to its input anyway)."""
    h, w = img.shape[:2]
    area = h * w
    for _ in range(10):
        target = area * rng.uniform(*scale)
        aspect = np.exp(rng.uniform(np.log(ratio[0]), np.log(ratio[1])))
        cw = int(round(np.sqrt(target * aspect)))
        ch = int(round(np.sqrt(target / aspect)))
        if 0 < cw <= w and 0 < ch <= h:
            x0 = int(rng.integers(0, w - cw + 1))
            y0 = int(rng.integers(0, h - ch + 1))
            return img[y0:y0 + ch, x0:x0 + cw]
    side = min(h, w)
    y0, x0 = (h - side) // 2, (w - side) // 2
    return img[y0:y0 + side, x0:x0 + side]


def horizontal_flip(img: np.ndarray, rng: np.random.Generator, p: float = 0.5) -> np.ndarray:
    return img[:, ::-1] if rng.random() < p else img


def color_jitter(img: np.ndarray, rng: np.random.Generator, brightness=0.25, contrast=0.25,
                 saturation=0.25, hue=0.03) -> np.ndarray:
    x = img.astype(np.float32)
    x *= rng.uniform(1 - brightness, 1 + brightness)
    mean = x.mean()
    x = (x - mean) * rng.uniform(1 - contrast, 1 + contrast) + mean
    grey = x.mean(axis=2, keepdims=True)
    x = (x - grey) * rng.uniform(1 - saturation, 1 + saturation) + grey
    if hue:
        # Rotate chroma around the grey axis: a cheap hue shift without an HSV round trip.
        theta = rng.uniform(-hue, hue) * 2 * np.pi
        c, s = np.cos(theta), np.sin(theta)
        k = 1 / 3
        sq = np.sqrt(k)
        rot = np.array([[c + (1 - c) * k, k * (1 - c) - sq * s, k * (1 - c) + sq * s],
                        [k * (1 - c) + sq * s, c + k * (1 - c), k * (1 - c) - sq * s],
                        [k * (1 - c) - sq * s, k * (1 - c) + sq * s, c + k * (1 - c)]], dtype=np.float32)
        x = x @ rot.T
    return np.clip(x, 0, 255).astype(np.uint8)


def jpeg_recompress(img: np.ndarray, rng: np.random.Generator, p: float = 0.5, quality=(40, 95)) -> np.ndarray:
    if rng.random() >= p:
        return img
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(img)).save(buf, format="JPEG", quality=int(rng.integers(quality[0], quality[1] + 1)))
    buf.seek(0)
    return np.asarray(Image.open(buf).convert("RGB"))


def augment(img: np.ndarray, rng: np.random.Generator, cfg: AugmentCfg = AugmentCfg()) -> np.ndarray:
    img = random_resized_crop(img, rng, cfg.crop_scale, cfg.crop_ratio)
    img = horizontal_flip(img, rng, cfg.flip_p)
    img = color_jitter(img, rng, cfg.brightness, cfg.contrast, cfg.saturation, cfg.hue)
    img = jpeg_recompress(img, rng, cfg.jpeg_p, cfg.jpeg_quality)
    return np.ascontiguousarray(img)

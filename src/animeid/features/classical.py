"""Hand-crafted descriptors from seed report S2: shape (Hu moments), texture (Haralick) and colour
(an 8x8x8 HSV histogram).

They are kept because they cost no network, explain themselves, and the colour histogram adds what
ImageNet features care least about (hair and eye colour) when fused with CNN embeddings. S2 saw
them reach ~20% alone on 178 classes, so they are a baseline and a complement, never the answer."""
from __future__ import annotations

from typing import Sequence

import numpy as np

HU_DIM = 7
HARALICK_DIM = 13
HSV_BINS = (8, 8, 8)
HAND_DIM = HU_DIM + HARALICK_DIM + int(np.prod(HSV_BINS))


def to_gray(img: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma as uint8, the same weights PIL's `convert("L")` and OpenCV use."""
    if img.ndim == 2:
        return img.astype(np.uint8)
    rgb = img[..., :3].astype(np.float64)
    gray = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    return np.clip(np.rint(gray), 0, 255).astype(np.uint8)


def hu_moments(gray: np.ndarray) -> np.ndarray:
    """The seven Hu invariants of the intensity image (x = column, y = row), as OpenCV's
    `HuMoments(moments(gray))` defines them. A blank image has no shape: all zeros."""
    f = np.asarray(gray, dtype=np.float64)
    m00 = f.sum()
    if m00 <= 0:
        return np.zeros(HU_DIM)
    ys, xs = np.mgrid[0:f.shape[0], 0:f.shape[1]].astype(np.float64)
    xbar = (xs * f).sum() / m00
    ybar = (ys * f).sum() / m00
    dx, dy = xs - xbar, ys - ybar

    def eta(p: int, q: int) -> float:
        return float((dx ** p * dy ** q * f).sum() / m00 ** (1 + (p + q) / 2))

    n20, n02, n11 = eta(2, 0), eta(0, 2), eta(1, 1)
    n30, n03, n21, n12 = eta(3, 0), eta(0, 3), eta(2, 1), eta(1, 2)
    a, b = n30 + n12, n21 + n03
    return np.array([
        n20 + n02,
        (n20 - n02) ** 2 + 4 * n11 ** 2,
        (n30 - 3 * n12) ** 2 + (3 * n21 - n03) ** 2,
        a ** 2 + b ** 2,
        (n30 - 3 * n12) * a * (a ** 2 - 3 * b ** 2) + (3 * n21 - n03) * b * (3 * a ** 2 - b ** 2),
        (n20 - n02) * (a ** 2 - b ** 2) + 4 * n11 * a * b,
        (3 * n21 - n03) * a * (a ** 2 - 3 * b ** 2) - (n30 - 3 * n12) * b * (3 * a ** 2 - b ** 2),
    ])


def log_scale_hu(hu: np.ndarray) -> np.ndarray:
    """Hu values span many orders of magnitude; -sign*log10|h| puts them on one scale for models."""
    hu = np.asarray(hu, dtype=np.float64)
    out = np.zeros_like(hu)
    nz = np.abs(hu) > 1e-30
    out[nz] = -np.sign(hu[nz]) * np.log10(np.abs(hu[nz]))
    return out


def haralick(gray: np.ndarray) -> np.ndarray:
    """Mahotas' 13 Haralick texture statistics, averaged over the four directions."""
    import mahotas

    g = np.asarray(gray, dtype=np.uint8)
    if g.min() == g.max():
        # mahotas cannot normalise a one-level co-occurrence matrix reliably across versions;
        # a flat image has maximal energy and homogeneity and no contrast or entropy.
        out = np.zeros(HARALICK_DIM)
        out[0] = 1.0  # angular second moment
        out[4] = 1.0  # inverse difference moment
        return out
    return np.asarray(mahotas.features.haralick(g, return_mean=True), dtype=np.float64)


def _rgb(img: np.ndarray) -> np.ndarray:
    """HxWx3: a grey HxW image as three equal channels (slicing `[..., :3]` of a 2-D array would
    take its first three columns)."""
    img = np.asarray(img)
    return np.repeat(img[..., None], 3, axis=2) if img.ndim == 2 else img[..., :3]


def hsv_histogram(img: np.ndarray, bins: tuple[int, int, int] = HSV_BINS) -> np.ndarray:
    """Joint HSV histogram (PIL's HSV: every channel in 0..255), flattened H-major, summing to 1."""
    from PIL import Image

    img = _rgb(img)
    hsv = np.asarray(Image.fromarray(np.ascontiguousarray(img[..., :3])).convert("HSV")).reshape(-1, 3)
    idx = [(hsv[:, c].astype(np.int64) * bins[c]) // 256 for c in range(3)]
    flat = (idx[0] * bins[1] + idx[1]) * bins[2] + idx[2]
    hist = np.bincount(flat, minlength=int(np.prod(bins))).astype(np.float64)
    return hist / max(hist.sum(), 1.0)


def hand_features(img: np.ndarray, size: int = 128) -> np.ndarray:
    """S2's hand feature vector: log-scaled Hu (7) + Haralick (13) + HSV histogram (512).

    Images are first resized to `size` square so that texture statistics do not depend on the
    source resolution."""
    from PIL import Image

    img = _rgb(img)
    if img.shape[0] != size or img.shape[1] != size:
        img = np.asarray(Image.fromarray(np.ascontiguousarray(img[..., :3])).resize((size, size), Image.BILINEAR))
    gray = to_gray(img)
    return np.concatenate([log_scale_hu(hu_moments(gray)), haralick(gray), hsv_histogram(img)]).astype(np.float32)


def hand_features_batch(images: Sequence[np.ndarray], size: int = 128) -> np.ndarray:
    if len(images) == 0:
        return np.zeros((0, HAND_DIM), dtype=np.float32)
    return np.stack([hand_features(im, size) for im in images])

"""Per-frame measures for cleaning a frame dataset, which S1 did by hand: sharpness (variance of the
Laplacian) to drop blurred frames and fades, and a 64-bit perceptual hash (DCT of a 32x32 grey
thumbnail) to drop near-duplicates and to find test frames that leak from train."""
from __future__ import annotations

import numpy as np

_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def grey(img: np.ndarray) -> np.ndarray:
    return img[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def laplacian_variance(img: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian of the grey image (sharp edges -> high, blur -> low)."""
    g = grey(img)
    if g.shape[0] < 3 or g.shape[1] < 3:
        return 0.0
    lap = -4 * g[1:-1, 1:-1] + g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:]
    return float(lap.var())


def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    x = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * x + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    m[0] /= np.sqrt(2.0)
    return m


_DCT32 = _dct_matrix(32)


def perceptual_hash(img: np.ndarray) -> int:
    """pHash: the signs of the 8x8 lowest DCT frequencies (minus DC) against their median."""
    from PIL import Image

    g = np.asarray(Image.fromarray(img[..., :3]).convert("L").resize((32, 32), Image.BILINEAR), dtype=np.float64)
    low = (_DCT32 @ g @ _DCT32.T)[:8, :8].ravel()
    bits = low > np.median(low[1:])
    return int(np.packbits(bits.astype(np.uint8)).view(">u8")[0])


def hamming(h: int, others) -> np.ndarray:
    """Hamming distances between one 64-bit hash and an array of them."""
    others = np.asarray(others, dtype=np.uint64)
    if others.size == 0:
        return np.zeros(0, dtype=np.int64)
    x = np.bitwise_xor(others, np.uint64(h))
    return _POPCOUNT[x.view(np.uint8).reshape(-1, 8)].sum(axis=1).astype(np.int64)

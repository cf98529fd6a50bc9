"""The MPEG-7 colour layout descriptor, as trace.moe indexes every frame with it.

8x8 grid of mean colours -> YCbCr -> 8x8 DCT per channel -> quantise -> zig-zag; keep 21 Y, 6 Cb
and 6 Cr coefficients (33 numbers) compared with L2 distance. It is the baseline every scene-search
figure is measured against, and costs microseconds, so it also serves as a cheap pre-filter."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from animeid.config import EmbedderCfg
from animeid.features.embedder import Embedder

ZIGZAG = np.array([
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48,
    41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23,
    30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63])
N_Y, N_C = 21, 6

# Orthonormal DCT-II basis: row u, column x.
_u = np.arange(8)[:, None]
_x = np.arange(8)[None, :]
DCT_BASIS = np.where(_u == 0, np.sqrt(1 / 8), np.sqrt(2 / 8)) * np.cos((2 * _x + 1) * _u * np.pi / 16)


def grid_means(img: np.ndarray, grid: int = 8) -> np.ndarray:
    """Mean RGB of each cell of a grid x grid partition (cells differ by at most one pixel)."""
    h, w = img.shape[:2]
    ys = np.linspace(0, h, grid + 1).astype(int)
    xs = np.linspace(0, w, grid + 1).astype(int)
    integral = np.zeros((h + 1, w + 1, 3), dtype=np.float64)
    integral[1:, 1:] = img.astype(np.float64).cumsum(0).cumsum(1)
    y0, y1 = ys[:-1, None], ys[1:, None]
    x0, x1 = xs[None, :-1], xs[None, 1:]
    sums = integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]
    area = ((y1 - y0) * (x1 - x0))[..., None]
    return sums / np.maximum(area, 1)


def rgb_to_ycbcr(rgb: np.ndarray) -> np.ndarray:
    """MPEG-7 reference conversion (studio range), truncated to integers as the reference does."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = (0.299 * r + 0.587 * g + 0.114 * b) / 256.0 * 219.0 + 16.0
    cb = (-0.169 * r - 0.331 * g + 0.500 * b) / 256.0 * 224.0 + 128.0
    cr = (0.500 * r - 0.419 * g - 0.081 * b) / 256.0 * 224.0 + 128.0
    return np.stack([y, cb, cr], axis=-1).astype(np.int64)


def dct8x8(block: np.ndarray) -> np.ndarray:
    """2-D orthonormal DCT, rounded to integers, row-major (index 8*v + u)."""
    return np.floor(DCT_BASIS @ block.astype(np.float64) @ DCT_BASIS.T + 0.499999).astype(np.int64)


def quant_ydc(i: int) -> int:
    if i > 192:
        return 112 + ((i - 192) >> 2)
    if i > 160:
        return 96 + ((i - 160) >> 1)
    if i > 96:
        return 32 + (i - 96)
    if i > 64:
        return 16 + ((i - 64) >> 1)
    return i >> 2


def quant_cdc(i: int) -> int:
    if i > 191:
        return 63
    if i > 160:
        return 56 + ((i - 160) >> 2)
    if i > 144:
        return 48 + ((i - 144) >> 1)
    if i > 112:
        return 16 + (i - 112)
    if i > 96:
        return 8 + ((i - 96) >> 1)
    if i > 64:
        return (i - 64) >> 2
    return 0


def quant_ac(i: np.ndarray) -> np.ndarray:
    i = np.clip(i, -256, 255)
    a = np.abs(i)
    j = np.where(a > 127, 64 + (a >> 2), np.where(a > 63, 32 + (a >> 1), a))
    return np.where(i < 0, -j, j) + 128


def color_layout(img: np.ndarray) -> np.ndarray:
    """The 33 quantised coefficients (21 Y, 6 Cb, 6 Cr) of an RGB image, as float32."""
    ycc = rgb_to_ycbcr(grid_means(img))
    out = []
    for ch, keep, quant_dc in ((0, N_Y, quant_ydc), (1, N_C, quant_cdc), (2, N_C, quant_cdc)):
        coeffs = dct8x8(ycc[:, :, ch]).reshape(-1)[ZIGZAG]
        dc = quant_dc(int(coeffs[0]) >> 3)
        ac = quant_ac(coeffs[1:keep] >> 1) >> 3
        out.append(np.concatenate([[dc], ac]))
    return np.concatenate(out).astype(np.float32)


COLOR_LAYOUT_CFG = EmbedderCfg(name="color-layout", input_size=0, mean=(0.0, 0.0, 0.0),
                               std=(1.0, 1.0, 1.0), dim=N_Y + 2 * N_C, metric="l2")


class ColorLayoutEmbedder(Embedder):
    """Unnormalised on purpose: the descriptor is defined with plain L2 distance."""

    normalize = False

    def __init__(self, cfg: EmbedderCfg = COLOR_LAYOUT_CFG, batch_size: int = 256):
        super().__init__(cfg, batch_size)

    def _forward(self, images: Sequence[np.ndarray]) -> np.ndarray:
        return np.stack([color_layout(img) for img in images])

"""The MPEG-7 colour layout descriptor, as trace.moe indexes every frame with it.

8x8 grid of mean colours -> YCbCr -> 8x8 DCT per channel -> quantise -> zig-zag; keep 21 Y, 6 Cb
and 6 Cr coefficients (33 numbers) compared with L2 distance. Every step follows the reference
extractor trace.moe uses (LIRE's `ColorLayoutImpl`): per-pixel conversion, cell means truncated,
luma DC `quant_ydc(dc >> 3) >> 1`, luma AC `quant_ac(c >> 1) >> 3`, chroma AC `quant_ac(c) >> 3`. It is the baseline every scene-search
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

# Orthonormal DCT-II basis, row u, column x, as the reference tabulates it: every value rounded to
# 7 significant digits (3.535534e-01, 4.903926e-01, ...). Exact cosines put about 4 % of images one
# step off on some coefficient, where a sum lands near the rounding boundary.
_u = np.arange(8)[:, None]
_x = np.arange(8)[None, :]
DCT_BASIS = np.vectorize(lambda v: float(f"{v:.6e}"))(
    np.where(_u == 0, np.sqrt(1 / 8), np.sqrt(2 / 8)) * np.cos((2 * _x + 1) * _u * np.pi / 16))


def grid_means(img: np.ndarray, grid: int = 8) -> np.ndarray:
    """Mean of each cell of a grid x grid partition, with LIRE's cell assignment (pixel x goes to
    cell x * grid // width), so cells of a size that does not divide evenly match the reference."""
    h, w = img.shape[:2]
    if h < grid or w < grid:  # some cells are empty; the reference leaves them 0
        rows, cols = np.arange(h) * grid // h, np.arange(w) * grid // w
        x = img.astype(np.float64).reshape(h, w, -1)
        sums = np.zeros((grid, grid, x.shape[2]))
        np.add.at(sums, (rows[:, None], cols[None, :]), x)
        counts = np.zeros((grid, grid))
        np.add.at(counts, (rows[:, None], cols[None, :]), 1.0)
        return sums / np.maximum(counts, 1)[..., None]
    # cell i starts at the first pixel p with p * grid // size == i, i.e. ceil(i * size / grid)
    row_starts = (np.arange(grid) * h + grid - 1) // grid
    col_starts = (np.arange(grid) * w + grid - 1) // grid
    x = img.astype(np.float64).reshape(h, w, -1)
    sums = np.add.reduceat(np.add.reduceat(x, row_starts, axis=0), col_starts, axis=1)
    counts = np.outer(np.diff(np.append(row_starts, h)), np.diff(np.append(col_starts, w)))
    return sums / counts[..., None]


def _ycbcr_planes(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-pixel Y, Cb, Cr as the MPEG-7 reference extractor (LIRE, which trace.moe runs) computes
    them, operation for operation in doubles (so values on a .5 boundary round the same way):
    studio range, each value rounded down after adding 0.5. Returned as float planes of integers."""
    rgb = np.asarray(rgb, dtype=np.float64)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    yy = (0.299 * r + 0.587 * g + 0.114 * b) / 256.0
    y = np.floor(219.0 * yy + 16.5)
    cb = np.floor(224.0 * 0.564 * (b / 256.0 - yy) + 128.5)
    cr = np.floor(224.0 * 0.713 * (r / 256.0 - yy) + 128.5)
    return y, cb, cr


def rgb_to_ycbcr(rgb: np.ndarray) -> np.ndarray:
    """Integer YCbCr of every pixel (see `_ycbcr_planes`)."""
    return np.stack(_ycbcr_planes(rgb), axis=-1).astype(np.int64)


def cell_ycbcr(img: np.ndarray) -> np.ndarray:
    """8x8x3 integer YCbCr: the reference converts every pixel, then averages each cell and
    truncates the mean."""
    planes = [grid_means(p[..., None])[..., 0] for p in _ycbcr_planes(img)]
    return np.floor(np.stack(planes, axis=-1)).astype(np.int64)


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
    if img.ndim == 2:  # grey: three equal channels, as the reference reads a grey picture
        img = np.repeat(img[..., None], 3, axis=2)
    ycc = cell_ycbcr(img)
    out = []
    for ch, keep in ((0, N_Y), (1, N_C), (2, N_C)):
        coeffs = dct8x8(ycc[:, :, ch]).reshape(-1)[ZIGZAG]
        if ch == 0:  # luma: its DC and AC are halved once more than chroma's, as in the reference
            dc = quant_ydc(int(coeffs[0]) >> 3) >> 1
            ac = quant_ac(coeffs[1:keep] >> 1) >> 3
        else:
            dc = quant_cdc(int(coeffs[0]) >> 3)
            ac = quant_ac(coeffs[1:keep]) >> 3
        out.append(np.concatenate([[dc], ac]))
    return np.concatenate(out).astype(np.float32)


# No weights, but a version in their place: indexes and galleries record it, so one built with the
# earlier, non-reference computation (which doubled the luma DC) is refused instead of compared.
DESCRIPTOR_VERSION = "lire-colorlayout-2"
COLOR_LAYOUT_CFG = EmbedderCfg(name="color-layout", input_size=0, mean=(0.0, 0.0, 0.0),
                               std=(1.0, 1.0, 1.0), dim=N_Y + 2 * N_C, metric="l2",
                               weights_sha256=DESCRIPTOR_VERSION)


class ColorLayoutEmbedder(Embedder):
    """Unnormalised on purpose: the descriptor is defined with plain L2 distance."""

    normalize = False

    def __init__(self, cfg: EmbedderCfg = COLOR_LAYOUT_CFG, batch_size: int = 256):
        super().__init__(cfg, batch_size)

    def _forward(self, images: Sequence[np.ndarray]) -> np.ndarray:
        return np.stack([color_layout(img) for img in images])

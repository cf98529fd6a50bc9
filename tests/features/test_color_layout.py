"""The MPEG-7 colour layout, checked against values worked out by hand."""
import numpy as np

from animeid.features.color_layout import (DCT_BASIS, ZIGZAG, color_layout, dct8x8, grid_means, quant_ac,
                                           quant_cdc, quant_ydc, rgb_to_ycbcr)


def test_uniform_grey_worked_by_hand():
    # RGB (128,128,128): yy = 0.299*0.5 + 0.587*0.5 + 0.114*0.5, a hair below 0.5 in doubles, so
    # Y = floor(219*yy + 16.5) = 125 (as in the Java reference); Cb = Cr = floor(0 + 128.5) = 128.
    # DC of an orthonormal 8x8 DCT of a constant v is 8v: Y 1000 -> >>3 = 125 -> quant_ydc: 32 + (125-96)
    # = 61 -> >>1 = 30. Cb/Cr: 1024 -> >>3 = 128 -> quant_cdc: 16 + (128-112) = 32. Every AC is 0 ->
    # quant_ac(0) = 128 -> >>3 = 16.
    img = np.full((64, 48, 3), 128, np.uint8)
    d = color_layout(img)
    assert d.shape == (33,)
    assert d[0] == 30
    assert np.all(d[1:21] == 16)
    assert d[21] == 32 and np.all(d[22:27] == 16)
    assert d[27] == 32 and np.all(d[28:33] == 16)


def test_black_and_white_dc():
    # black: Y = floor(16.5) = 16 -> DC 128 -> >>3 = 16 -> 16 >> 2 = 4 -> >>1 = 2.
    # white: yy = 255/256 -> Y = floor(219*0.996 + 16.5) = 234 -> DC 1872 -> 234 -> 112 + (42 >> 2) = 122 -> 61.
    assert color_layout(np.zeros((16, 16, 3), np.uint8))[0] == 2
    assert color_layout(np.full((16, 16, 3), 255, np.uint8))[0] == 61


# The reference's `arrayCosin`, as printed in its source (7 significant digits).
_C = [3.535534e-01, 4.903926e-01, 4.619398e-01, 4.157348e-01, 2.777851e-01, 1.913417e-01, 9.754516e-02]
REFERENCE_COSINES = [
    [_C[0]] * 8,
    [_C[1], _C[3], _C[4], _C[6], -_C[6], -_C[4], -_C[3], -_C[1]],
    [_C[2], _C[5], -_C[5], -_C[2], -_C[2], -_C[5], _C[5], _C[2]],
    [_C[3], -_C[6], -_C[1], -_C[4], _C[4], _C[1], _C[6], -_C[3]],
    [_C[0], -_C[0], -_C[0], _C[0], _C[0], -_C[0], -_C[0], _C[0]],
    [_C[4], -_C[1], _C[6], _C[3], -_C[3], -_C[6], _C[1], -_C[4]],
    [_C[5], -_C[2], _C[2], -_C[5], -_C[5], _C[2], -_C[2], _C[5]],
    [_C[6], -_C[4], _C[3], -_C[1], _C[1], -_C[3], _C[4], -_C[6]],
]


def test_the_dct_table_is_the_reference_table():
    assert np.array_equal(DCT_BASIS, np.array(REFERENCE_COSINES))


def _reference(img: np.ndarray) -> list[int]:
    """A line-by-line port of the reference extractor's loops (LIRE ColorLayoutImpl, which
    trace.moe runs): per-pixel YCbCr summed per cell, integer means, float DCT rounded with
    floor(s + 0.499999), then the quantisers and zig-zag. Plain Python, no shared code."""
    import math

    h, w = img.shape[:2]
    sums = [[0] * 64 for _ in range(3)]
    cnt = [0] * 64
    for y in range(h):
        for x in range(w):
            r, g, b = (int(v) for v in img[y, x, :3])
            k = (y * 8 // h) * 8 + x * 8 // w
            yy = (0.299 * r + 0.587 * g + 0.114 * b) / 256.0
            sums[0][k] += int(219.0 * yy + 16.5)
            sums[1][k] += int(224.0 * 0.564 * (b / 256.0 - yy) + 128.5)
            sums[2][k] += int(224.0 * 0.713 * (r / 256.0 - yy) + 128.5)
            cnt[k] += 1
    shape = [[int(sums[c][k] / cnt[k]) if cnt[k] else 0 for k in range(64)] for c in range(3)]
    cos = REFERENCE_COSINES

    def fdct(s):
        d = [sum(cos[j][k] * s[8 * i + k] for k in range(8)) for i in range(8) for j in range(8)]
        return [int(math.floor(sum(cos[i][k] * d[8 * k + j] for k in range(8)) + 0.499999))
                for i in range(8) for j in range(8)]

    shape = [fdct(s) for s in shape]
    out = [quant_ydc(shape[0][0] >> 3) >> 1]
    out += [int(quant_ac(np.array(shape[0][ZIGZAG[i]] >> 1))) >> 3 for i in range(1, 21)]
    for c in (1, 2):
        out += [quant_cdc(shape[c][0] >> 3)] + [int(quant_ac(np.array(shape[c][ZIGZAG[i]]))) >> 3 for i in range(1, 6)]
    return out


def test_matches_a_plain_port_of_the_reference_on_random_images():
    # an 8x8 grey-100 picture whose first 20 pixels are white: with exact cosines instead of the
    # reference's table its luma coefficient 13 came out 14 instead of 15
    edge = np.full((8, 8, 3), 100, np.uint8)
    edge.reshape(64, 3)[:20] = 255
    assert color_layout(edge).astype(int).tolist() == _reference(edge)
    rng = np.random.default_rng(0)
    for h, w in ((24, 40), (37, 53), (8, 8), (5, 7)):
        img = (rng.random((h, w, 3)) ** rng.uniform(0.3, 3) * 255).astype(np.uint8)
        smooth = np.cumsum(np.cumsum(rng.normal(size=(h, w, 3)), 0), 1)
        smooth = ((smooth - smooth.min()) / np.ptp(smooth) * 255).astype(np.uint8)
        for im in (img, smooth):
            assert color_layout(im).astype(int).tolist() == _reference(im)


def test_vertical_split_gives_first_horizontal_ac():
    # left half black, right half white: only horizontal frequencies (row 0 of the DCT) are non-zero,
    # so zig-zag position 1 (DCT index 1) carries energy and position 2 (DCT index 8, vertical) does not.
    img = np.zeros((32, 32, 3), np.uint8)
    img[:, 16:] = 255
    d = color_layout(img)
    assert d[1] != 16          # horizontal AC present
    assert d[2] == 16          # vertical AC absent
    assert d[1] < 16           # dark-to-bright left-to-right gives a negative first AC coefficient


def test_pieces_by_hand():
    assert ZIGZAG[:6].tolist() == [0, 1, 8, 16, 9, 2]
    assert quant_ydc(200) == 114 and quant_ydc(170) == 101 and quant_ydc(80) == 24 and quant_ydc(20) == 5
    assert quant_cdc(200) == 63 and quant_cdc(150) == 51 and quant_cdc(100) == 10 and quant_cdc(70) == 1
    # quant_ac: |i| <= 63 -> i; 64..127 -> 32 + |i|/2; > 127 -> 64 + |i|/4; sign back, + 128 (clip to [-256, 255])
    # -200 -> -(64 + 50) + 128 = 14; 300 -> 255 -> 64 + 63 + 128 = 255
    assert quant_ac(np.array([0, 10, -10, 100, -200, 300])).tolist() == [128, 138, 118, 210, 14, 255]
    block = np.full((8, 8), 10)
    coeffs = dct8x8(block)
    assert coeffs[0, 0] == 80 and np.count_nonzero(coeffs) == 1
    assert rgb_to_ycbcr(np.array([[0.0, 0.0, 0.0]])).tolist() == [[16, 128, 128]]


def test_grid_means_uneven_cells():
    img = np.zeros((10, 9, 3), np.uint8)
    img[:, :, 0] = np.arange(9)[None, :]
    means = grid_means(img, grid=3)
    assert np.allclose(means[0, :, 0], [1.0, 4.0, 7.0])

"""The MPEG-7 colour layout, checked against values worked out by hand."""
import numpy as np

from animeid.features.color_layout import (ZIGZAG, color_layout, dct8x8, grid_means, quant_ac, quant_cdc,
                                           quant_ydc, rgb_to_ycbcr)


def test_uniform_grey_worked_by_hand():
    # RGB (128,128,128): Y = 128*219/256 + 16 = 125.5 -> 125; Cb = Cr = 0*224/256 + 128 = 128.
    # DC of an orthonormal 8x8 DCT of a constant v is 8v: Y 1000 -> >>3 = 125 -> quant_ydc: 32 + (125-96) = 61.
    # Cb/Cr: 1024 -> >>3 = 128 -> quant_cdc: 16 + (128-112) = 32. Every AC is 0 -> quant_ac(0) = 128 -> >>3 = 16.
    img = np.full((64, 48, 3), 128, np.uint8)
    d = color_layout(img)
    assert d.shape == (33,)
    assert d[0] == 61
    assert np.all(d[1:21] == 16)
    assert d[21] == 32 and np.all(d[22:27] == 16)
    assert d[27] == 32 and np.all(d[28:33] == 16)


def test_black_and_white_dc():
    # black: Y = 16 -> DC 128 -> >>3 = 16 -> 16 >> 2 = 4.  white: Y = 255*219/256+16 = 234.1 -> 234
    # -> DC 1872 -> 234 -> 112 + (234-192)>>2 = 122.
    assert color_layout(np.zeros((16, 16, 3), np.uint8))[0] == 4
    assert color_layout(np.full((16, 16, 3), 255, np.uint8))[0] == 122


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

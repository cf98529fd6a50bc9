"""Hand features checked against values worked out by hand on tiny synthetic images."""
import numpy as np
import pytest

from animeid.features import classical


def test_hu_of_two_pixel_bar():
    # pixels (x=0,y=0) and (x=1,y=0) at intensity 1: m00 = 2, xbar = 0.5,
    # mu20 = 2 * 0.25 = 0.5, mu02 = mu11 = 0 -> eta20 = 0.5 / 2**2 = 0.125;
    # hu1 = eta20 = 0.125, hu2 = eta20**2 = 0.015625; every third-order moment cancels -> 0.
    img = np.zeros((3, 4))
    img[0, 0] = img[0, 1] = 1
    hu = classical.hu_moments(img)
    assert hu[0] == pytest.approx(0.125)
    assert hu[1] == pytest.approx(0.015625)
    assert np.allclose(hu[2:], 0)


def test_hu_is_translation_invariant_and_blank_is_zero():
    a = np.zeros((10, 10)); a[1:3, 1:5] = 200
    b = np.zeros((10, 10)); b[6:8, 4:8] = 200
    assert np.allclose(classical.hu_moments(a), classical.hu_moments(b))
    assert np.allclose(classical.hu_moments(np.zeros((5, 5))), 0)


def test_log_scale_hu():
    out = classical.log_scale_hu(np.array([0.01, -0.001, 0.0]))
    assert out.tolist() == pytest.approx([2.0, -3.0, 0.0])


def test_haralick_of_vertical_stripes():
    # columns alternate 0,1. Horizontal and both diagonal neighbours always differ (contrast 1),
    # vertical neighbours never do (contrast 0): mean contrast over 4 directions = 3/4.
    # Each direction's symmetric co-occurrence has two cells of 0.5 -> energy (ASM) 0.5.
    img = np.tile(np.array([[0, 1]], dtype=np.uint8), (4, 2))
    h = classical.haralick(img)
    assert h.shape == (13,)
    assert h[0] == pytest.approx(0.5)
    assert h[1] == pytest.approx(0.75)


def test_haralick_of_flat_image():
    h = classical.haralick(np.full((6, 6), 9, np.uint8))
    assert h[0] == 1.0 and h[1] == 0.0


def test_hsv_histogram_pure_colours():
    # pure red is HSV (0, 255, 255) -> bins (0, 7, 7) -> index 0*64 + 7*8 + 7 = 63;
    # black is (0, 0, 0) -> index 0. Half red, half black: 0.5 each.
    img = np.zeros((4, 4, 3), np.uint8)
    img[:2, :, 0] = 255
    hist = classical.hsv_histogram(img)
    assert hist.shape == (512,)
    assert hist[63] == pytest.approx(0.5)
    assert hist[0] == pytest.approx(0.5)
    assert hist.sum() == pytest.approx(1.0)


def test_hsv_histogram_white_and_green():
    # white: S = 0, V = 255 -> bins (0, 0, 7) -> 7. Pure green: PIL hue 85 -> bin 85*8//256 = 2,
    # S,V 255 -> index 2*64 + 63 = 191.
    img = np.zeros((2, 2, 3), np.uint8)
    img[0] = 255
    img[1, :, 1] = 255
    hist = classical.hsv_histogram(img)
    assert hist[7] == pytest.approx(0.5)
    assert hist[191] == pytest.approx(0.5)


def test_hand_feature_vector_layout():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (40, 30, 3), dtype=np.uint8)
    f = classical.hand_features(img)
    assert f.shape == (classical.HAND_DIM,) == (532,)
    assert f[20:].sum() == pytest.approx(1.0, abs=1e-5)  # the histogram part
    assert classical.hand_features_batch([img, img]).shape == (2, 532)


def test_grey_arrays_are_read_as_grey_not_as_three_columns():
    from animeid.features.classical import hand_features, hsv_histogram

    grey = np.tile(np.arange(40, dtype=np.uint8)[None, :] * 6, (30, 1))
    rgb = np.repeat(grey[..., None], 3, axis=2)
    assert np.array_equal(hsv_histogram(grey), hsv_histogram(rgb))
    assert np.allclose(hand_features(grey), hand_features(rgb))

"""Augmentations: reproducible from a seed, shapes and value ranges as documented."""
import numpy as np

from animeid.train.augment import augment, color_jitter, horizontal_flip, jpeg_recompress, random_resized_crop


def test_reproducible_and_varied():
    img = np.random.default_rng(0).integers(0, 256, (80, 120, 3), dtype=np.uint8)
    a = augment(img, np.random.default_rng(1))
    b = augment(img, np.random.default_rng(1))
    c = augment(img, np.random.default_rng(2))
    assert np.array_equal(a, b)
    assert a.shape != c.shape or not np.array_equal(a, c)
    assert a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 3


def test_crop_area_within_scale():
    img = np.zeros((100, 100, 3), np.uint8)
    rng = np.random.default_rng(0)
    for _ in range(50):
        h, w = random_resized_crop(img, rng, scale=(0.5, 1.0)).shape[:2]
        assert 0.45 <= h * w / 10000 <= 1.0


def test_flip_and_jitter_and_jpeg():
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    assert np.array_equal(horizontal_flip(img, np.random.default_rng(0), p=1.0), img[:, ::-1])
    assert np.array_equal(horizontal_flip(img, np.random.default_rng(0), p=0.0), img)
    grey = np.full((8, 8, 3), 100, np.uint8)
    out = color_jitter(grey, np.random.default_rng(0), brightness=0, contrast=0, saturation=0.5, hue=0.1)
    assert np.abs(out.astype(int) - 100).max() <= 1  # hue and saturation leave grey grey
    noisy = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    assert not np.array_equal(jpeg_recompress(noisy, np.random.default_rng(0), p=1.0), noisy)

"""Arrays given to `load_image` (and through it to `Embedder.embed`, `detect_faces`, searches) load
as the same picture saved to a file would: a float 0-1 array is not a black frame, an RGBA array is
laid over white rather than losing its alpha to black, and the size limits apply."""
import io

import numpy as np
import pytest
from PIL import Image

from animeid.config import ImageLimits
from animeid.errors import BadImage
from animeid.media.images import load_image, rgb_array


def _png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def picture(rng) -> np.ndarray:
    return rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)


def test_float_arrays_in_0_1_and_0_255_are_the_uint8_picture(picture):
    assert np.array_equal(load_image(picture / 255.0), picture)
    assert np.array_equal(load_image(picture.astype(np.float32) / 255.0), picture)
    bright = picture.astype(np.float64)
    bright[0, 0] = 200.0                       # max above 1: already 0-255
    assert np.array_equal(load_image(bright), bright.astype(np.uint8))


def test_sixteen_bit_arrays_keep_their_high_byte(picture):
    assert np.array_equal(load_image(picture.astype(np.uint16) * 256 + 255), picture)


def test_an_rgba_array_loads_like_the_same_png(picture):
    rgba = np.dstack([picture, np.tile(np.linspace(0, 255, 32).astype(np.uint8), (24, 1))])
    from_file = load_image(_png(rgba))
    from_array = load_image(rgba)
    assert from_array[0, 0].tolist() == [255, 255, 255]        # transparent: white, as from the file
    assert np.abs(from_array.astype(int) - from_file).max() <= 1
    # half transparent by hand: 100 over white at alpha 128/255 -> 100*0.502 + 255*0.498 = 177.2
    half = np.zeros((10, 10, 4), np.uint8)
    half[..., :3], half[..., 3] = 100, 128
    assert load_image(half)[0, 0].tolist() == [177, 177, 177]


def test_grey_arrays_with_or_without_a_channel_axis(picture):
    grey = picture[..., 1]
    assert np.array_equal(load_image(grey), np.dstack([grey] * 3))
    assert np.array_equal(load_image(grey[..., None]), np.dstack([grey] * 3))


@pytest.mark.parametrize("array, limits, message", [
    (np.zeros((2, 2, 3), np.uint8), ImageLimits(), "too small to recognise anything"),
    (np.zeros((100, 100, 3), np.uint8), ImageLimits(max_pixels=1000), "above the 1,000-pixel limit"),
    (np.full((10, 10, 3), np.nan), ImageLimits(), "NaN or infinite"),
    (np.full((10, 10, 3), 300.0), ImageLimits(), "run from 300 to 300"),
    (np.full((10, 10, 3), -0.5), ImageLimits(), "give 0-1 or 0-255"),
    (np.zeros((10, 10, 3), bool), ImageLimits(), "dtype bool"),
    (np.zeros((3, 10, 10), np.uint8), ImageLimits(), "is not an image"),
    (np.zeros((0, 10, 3), np.uint8), ImageLimits(), "is not an image"),
])
def test_arrays_that_are_not_pictures_or_break_the_limits_are_refused(array, limits, message):
    with pytest.raises(BadImage, match=message):
        load_image(array, limits)


def test_urls_and_empty_paths_are_named_as_given():
    with pytest.raises(BadImage, match=r"^https://example\.com/a\.png: a URL; animeid fetches nothing"):
        load_image("https://example.com/a.png")
    with pytest.raises(BadImage, match="an empty path is not an image"):
        load_image("")


def test_rgb_array_passes_decoded_pictures_through_untouched(picture, tmp_path):
    assert rgb_array(picture) is picture
    (tmp_path / "p.png").write_bytes(_png(picture))
    assert np.array_equal(rgb_array(str(tmp_path / "p.png")), picture)
    assert np.array_equal(rgb_array(Image.fromarray(picture)), picture)


def test_paths_the_os_cannot_take_are_bad_images(tmp_path):
    """A 300-character file name raised OSError (ENAMETOOLONG) out of Path.exists(): a traceback
    from `genres predict`, `genres train` and `identify`; a NUL byte read as "no such file"."""
    with pytest.raises(BadImage, match=r"cannot be used as a path \(File name too long\)"):
        load_image(tmp_path / ("x" * 300 + ".jpg"))
    with pytest.raises(BadImage, match=r"a\\0b\.jpg: cannot be used as a path \(embedded null byte\)"):
        load_image(str(tmp_path / "a\0b.jpg"))

import io

import numpy as np
import pytest
from PIL import Image

from animeid.config import ImageLimits
from animeid.errors import BadImage
from animeid.media.borders import find_content_box, trim_borders
from animeid.media.images import load_image


def _png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def test_decodes_paths_bytes_arrays_and_alpha(tmp_path):
    arr = np.zeros((20, 30, 3), np.uint8)
    arr[:, :, 1] = 200
    p = tmp_path / "a.png"
    p.write_bytes(_png(arr))
    assert load_image(p).shape == (20, 30, 3)
    assert load_image(p.read_bytes())[0, 0, 1] == 200
    rgba = np.zeros((20, 30, 4), np.uint8)  # fully transparent -> composited on white
    assert load_image(_png(rgba))[0, 0].tolist() == [255, 255, 255]
    assert load_image(np.zeros((20, 30), np.uint8)).shape == (20, 30, 3)


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"this is not an image", "not a readable image"),
    (_png(np.zeros((50, 50, 3), np.uint8))[:60], "not a readable image"),
])
def test_bad_bytes_are_one_line_errors(data, message):
    with pytest.raises(BadImage, match=message):
        load_image(data)


def test_bad_paths(tmp_path):
    with pytest.raises(BadImage, match="no such file"):
        load_image(tmp_path / "missing.jpg")
    with pytest.raises(BadImage, match="is a directory"):
        load_image(tmp_path)
    (tmp_path / "zero.jpg").write_bytes(b"")
    with pytest.raises(BadImage, match="empty file"):
        load_image(tmp_path / "zero.jpg")
    with pytest.raises(BadImage, match="unsupported image input"):
        load_image(3.5)


def test_limits():
    big = _png(np.zeros((100, 100, 3), np.uint8))
    with pytest.raises(BadImage, match="pixel limit"):
        load_image(big, ImageLimits(max_pixels=5000))
    with pytest.raises(BadImage, match="byte limit"):
        load_image(big, ImageLimits(max_bytes=10))
    with pytest.raises(BadImage, match="too small"):
        load_image(_png(np.zeros((3, 3, 3), np.uint8)))


def test_trim_letterbox_and_pillarbox(rng):
    content = rng.integers(40, 255, (60, 80, 3), dtype=np.uint8)
    boxed = np.zeros((100, 120, 3), np.uint8)
    boxed[20:80, 20:100] = content
    assert find_content_box(boxed) == (20, 80, 20, 100)
    assert np.array_equal(trim_borders(boxed), content)


def test_dark_scene_is_not_trimmed_away():
    dark = np.full((50, 50, 3), 5, np.uint8)
    assert trim_borders(dark).shape == dark.shape

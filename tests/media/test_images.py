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


def _encode(img: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


def test_16_bit_png_keeps_its_picture():
    """A 16-bit grey screenshot used to come out all white (every value above 255 clipped)."""
    values = np.linspace(13056, 60416, 40 * 60).reshape(40, 60).astype(np.uint16)
    data = _encode(Image.fromarray(values))
    assert Image.open(io.BytesIO(data)).mode.startswith("I;16")
    rgb = load_image(data)
    assert rgb.shape == (40, 60, 3) and rgb.dtype == np.uint8
    assert np.array_equal(rgb[:, :, 0], (values >> 8).astype(np.uint8))
    assert (rgb.min(), rgb.max()) == (51, 236)
    assert np.array_equal(rgb[:, :, 0], rgb[:, :, 2])


def test_a_16_bit_png_holding_8_bit_values_is_kept_as_is():
    """Values that all fit 8 bits in a 16-bit container are an 8-bit picture, as mode I treats
    them; taking their high byte would make it black."""
    values = np.linspace(10, 240, 40 * 60).reshape(40, 60).astype(np.uint16)
    rgb = load_image(_encode(Image.fromarray(values)))
    assert np.array_equal(rgb[:, :, 1], values.astype(np.uint8))


def test_32_bit_and_float_grey_images_are_rescaled():
    values = np.linspace(13056, 60416, 40 * 60).reshape(40, 60)
    as_i = load_image(Image.fromarray(values.astype(np.int32)))      # mode I, a 16-bit range
    assert np.array_equal(as_i[:, :, 0], (values.astype(np.int32) >> 8).astype(np.uint8))
    small = load_image(Image.fromarray(np.full((40, 60), 200, np.int32)))   # mode I, 8-bit values
    assert small.max() == small.min() == 200
    unit = load_image(_encode(Image.fromarray((values / 65535).astype(np.float32)), "TIFF"))   # mode F, 0-1
    assert abs(int(unit.max()) - round(60416 / 65535 * 255)) <= 1
    stretched = load_image(Image.fromarray((values - 1e6).astype(np.float32)))   # mode F, anything else
    assert (stretched.min(), stretched.max()) == (0, 255)


def test_pixel_limit_is_checked_from_the_header_before_decoding():
    # a PNG whose header declares 7900x7900 and nothing decodable follows: only the header was read
    import struct
    import zlib

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header_only = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 7900, 7900, 8, 2, 0, 0, 0))
                   + chunk(b"IDAT", zlib.compress(b"\0" * 100)))
    with pytest.raises(BadImage, match="7900x7900, above the 40,000,000-pixel limit"):
        load_image(header_only, ImageLimits(max_pixels=40_000_000))
    with pytest.raises(BadImage, match="not a readable image"):
        load_image(header_only)      # within the library's 64 MP default: decoding fails on the truncation
    # past twice Pillow's own bomb limit, Pillow refuses at open, before our check sees the size:
    # the error still names the size and the limit, as for a smaller image
    bomb = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 100)))
    with pytest.raises(BadImage, match=r"^<\d+ bytes>: image is 900,000,000 pixels, above the 40,000,000-pixel "
                                       r"limit \(decompression bomb guard\)$"):
        load_image(bomb, ImageLimits(max_pixels=40_000_000))


def test_short_side_shrinks_before_the_array_is_made():
    import tracemalloc

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 255, (1000, 1500, 3), dtype=np.uint8)
    data = _png(pixels)
    tracemalloc.start()
    try:
        small = load_image(data, short_side=288)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert small.shape == (288, 432, 3)
    assert peak < pixels.nbytes / 4       # a full-size array (4.5 MB) was never made
    # and the pixels are those of the full decode shrunk afterwards, as before
    from animeid.media.images import resize_short_side

    assert np.array_equal(small, resize_short_side(load_image(data), 288))


def test_unreadable_file_is_a_bad_image(tmp_path, monkeypatch):
    from pathlib import Path

    shot = tmp_path / "a.png"
    shot.write_bytes(_png(np.zeros((20, 20, 3), np.uint8)))

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(BadImage, match="cannot read .Permission denied"):
        load_image(shot)


def test_a_video_given_as_a_picture_is_named_a_video(tmp_path):
    """`identify clip.mp4` said "not a readable image (UnidentifiedImageError: ...)"."""
    from tests.videos import write_clip

    clip = write_clip(tmp_path / "clip.mp4", [1], seconds_per_scene=0.5)
    with pytest.raises(BadImage, match=r"clip\.mp4: a video, not a picture; give a frame of it"):
        load_image(clip)
    with pytest.raises(BadImage, match=r"a video, not a picture"):
        load_image(clip.read_bytes())
    with pytest.raises(BadImage, match="not a readable image"):   # anything else keeps its reason
        load_image(b"\0" * 64)

"""One picture in every form `load_image` accepts gives the same pixels: a path, its bytes (also as a
bytearray or memoryview), a binary file object, a PIL image and an array. Each of these used to
differ: a uint16 array of 8-bit values came out black, file objects and memoryviews were refused,
and a large JPEG given as `Image.open(path)` was decoded whole rather than at reduced scale, so its
answers differed slightly from the path's."""
import io

import numpy as np
import pytest
from PIL import Image

from animeid.config import EmbedderCfg, ImageLimits
from animeid.errors import AnimeidError, BadImage
from animeid.features.embedder import Embedder
from animeid.features.registry import register_embedder
from animeid.media.images import describe, image_list, load_image
from animeid.recognize.config import FeatureRecipe, GalleryCfg


@pytest.fixture
def png(tmp_path, rng):
    path = tmp_path / "shot.png"
    Image.fromarray(rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)).save(path)
    return path


def test_an_8bit_picture_in_16_bits_is_the_same_as_a_file_a_pil_image_or_an_array(tmp_path, rng):
    grey = rng.integers(0, 256, (30, 40), dtype=np.uint8)
    path = tmp_path / "grey16.png"
    Image.fromarray(grey.astype(np.uint16)).save(path)
    assert Image.open(path).mode.startswith("I;16")
    expected = np.dstack([grey] * 3)
    assert np.array_equal(load_image(path), expected)
    assert np.array_equal(load_image(Image.open(path)), expected)
    assert np.array_equal(load_image(np.asarray(Image.open(path))), expected)             # uint16 as read
    assert np.array_equal(load_image(np.asarray(Image.open(path).convert("L")).astype(np.uint16)), expected)
    assert np.array_equal(load_image(np.dstack([grey] * 3).astype(np.uint16)), expected)


def test_a_true_16bit_picture_keeps_its_high_byte_as_a_file_or_an_array(tmp_path):
    values = np.linspace(300, 65535, 30 * 40).reshape(30, 40).astype(np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(values).save(path)
    expected = np.dstack([(values >> 8).astype(np.uint8)] * 3)
    assert np.array_equal(load_image(path), expected)
    assert np.array_equal(load_image(np.asarray(Image.open(path))), expected)


@pytest.mark.parametrize("form", ["open", "BytesIO", "memoryview", "bytearray"])
def test_binary_file_objects_and_buffers_load_as_their_bytes(png, form):
    data = png.read_bytes()
    source = {"open": lambda: open(png, "rb"), "BytesIO": lambda: io.BytesIO(data),
              "memoryview": lambda: memoryview(data), "bytearray": lambda: bytearray(data)}[form]()
    try:
        assert np.array_equal(load_image(source), load_image(png))
        # given again (a search, then an identify), a file object is the same picture again
        assert np.array_equal(load_image(source, short_side=20), load_image(data, short_side=20))
    finally:
        if hasattr(source, "close"):
            source.close()


def test_a_file_object_is_read_from_where_it_stands(png):
    buf = io.BytesIO(b"header" + png.read_bytes())
    buf.seek(6)
    assert np.array_equal(load_image(buf), load_image(png)) and buf.tell() == 6


def test_file_objects_are_named_by_their_path_and_held_to_the_limits(png, tmp_path):
    with open(png, "rb") as f:
        assert describe(f) == str(png)
        with pytest.raises(BadImage, match="above the 100-byte limit"):
            load_image(f, ImageLimits(max_bytes=100))
    assert describe(memoryview(b"abc")) == "<3 bytes>"
    (tmp_path / "junk.png").write_bytes(b"not a picture")
    with open(tmp_path / "junk.png", "rb") as f:
        with pytest.raises(BadImage, match=f"^{tmp_path / 'junk.png'}: not a readable image"):
            load_image(f)
    with pytest.raises(BadImage, match="empty input"):
        load_image(io.BytesIO())
    closed = io.BytesIO(png.read_bytes())
    closed.close()
    with pytest.raises(BadImage, match="cannot read"):
        load_image(closed)


def test_a_text_mode_file_is_refused_saying_to_open_it_in_binary_mode(png):
    with open(png, encoding="latin-1") as f:
        with pytest.raises(BadImage, match=r"text mode; open it in binary mode \(open\(path, \"rb\"\)\)"):
            load_image(f)
    with pytest.raises(BadImage, match="text mode"):
        load_image(io.StringIO("GIF89a"))


def test_an_unsupported_input_lists_the_accepted_ones():
    with pytest.raises(BadImage, match=r"^unsupported image input of type float; give a path, bytes .*file object"
                                       r" opened in binary mode, a numpy array or a PIL image$"):
        load_image(3.5)


def test_a_single_file_object_is_refused_where_a_list_is_expected(png):
    # a BytesIO iterates over its lines: taken as a list it was a list of garbage "images"
    with pytest.raises(AnimeidError, match="enroll takes a list of images, not a single BytesIO"):
        image_list(io.BytesIO(png.read_bytes()), "enroll", "give [image] for one")


def _gradient_jpeg(path, size=(1920, 1080)):
    w, h = size
    x, y = np.meshgrid(np.linspace(0, 255, w), np.linspace(0, 255, h))
    noise = np.random.default_rng(3).integers(0, 40, (h, w))
    rgb = np.dstack([x, y, (x + y) / 2]) * 0.8 + noise[..., None]
    Image.fromarray(rgb.astype(np.uint8)).save(path, quality=90)
    return path


def test_a_jpeg_opened_with_pil_decodes_as_its_path(tmp_path):
    path = _gradient_jpeg(tmp_path / "big.jpg")
    expected = load_image(path, short_side=224)
    img = Image.open(path)
    assert np.array_equal(load_image(img, short_side=224), expected)
    assert img.size == (1920, 1080) and np.asarray(img).shape == (1080, 1920, 3)   # the caller's image is intact
    assert np.array_equal(load_image(Image.open(io.BytesIO(path.read_bytes())), short_side=224), expected)
    assert np.array_equal(load_image(open(path, "rb"), short_side=224), expected)
    # one the caller decoded (or drafted) itself is taken as it is
    decoded = Image.open(path)
    decoded.load()
    assert load_image(decoded, short_side=224).shape == expected.shape


class _ColourStats(Embedder):
    def _forward(self, images):
        return np.asarray([np.concatenate([im.mean((0, 1)) / 255 - 0.5, im.std((0, 1)) / 255]) + 1e-3
                           for im in images])


_CFG = EmbedderCfg(name="test-colour-inputs", input_size=16, mean=(0, 0, 0), std=(1, 1, 1), dim=6,
                   weights_sha256="test")
register_embedder(_CFG.name, cfg=lambda: _CFG)(lambda batch_size=32, threads=None: _ColourStats(_CFG))


def test_a_recognizer_takes_file_objects_as_it_takes_bytes(tmp_path, rng):
    from animeid.recognize.recognizer import Recognizer

    def shots(rgb):
        out = []
        for _ in range(4):
            buf = io.BytesIO()
            pixels = np.clip(np.array(rgb) + rng.normal(0, 20, (24, 24, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(buf, format="PNG")
            out.append(buf.getvalue())
        return out

    red, blue = shots((220, 30, 30)), shots((30, 40, 220))
    cfg = GalleryCfg(recipe=FeatureRecipe(embedders=(_CFG.name,), views=("base",)), neighbours=8)
    with Recognizer.create(tmp_path / "db", "character", cfg=cfg) as rec:
        assert rec.enroll("red", [io.BytesIO(b) for b in red[:3]], warn=pytest.fail, refit=False) == 3
        assert rec.enroll("blue", [memoryview(b) for b in blue[:3]], warn=pytest.fail) == 3
        assert rec.identify(io.BytesIO(red[3]))[0]["label"] == "red"
        assert rec.identify(io.BytesIO(blue[3])) == rec.identify(blue[3])
        # the same pictures again, as file objects: already enrolled, nothing added
        warned = []
        assert rec.enroll("red", [io.BytesIO(b) for b in red[:3]], warn=warned.append) == 0
        assert warned == ["label 'red': 3 image(s) already enrolled; skipped"]
        assert rec.labels() == {"blue": 3, "red": 3}


class _Pipe(io.RawIOBase):
    """A stream that can be read once, like a pipe or a socket."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, b) -> int:
        chunk = self._data.read(len(b))
        b[:len(chunk)] = chunk
        return len(chunk)


def test_a_stream_read_once_is_enrolled_not_spent_on_its_digest(tmp_path, rng):
    from animeid.recognize.image_inputs import content_digest
    from animeid.recognize.recognizer import Recognizer

    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (24, 24, 3), dtype=np.uint8)).save(buf, format="PNG")
    assert content_digest(_Pipe(buf.getvalue())) is None
    cfg = GalleryCfg(recipe=FeatureRecipe(embedders=(_CFG.name,), views=("base",)), neighbours=8)
    with Recognizer.create(tmp_path / "db", "character", cfg=cfg) as rec:
        assert rec.enroll("x", [_Pipe(buf.getvalue())], warn=lambda m: None, refit=False) == 1


def test_a_pil_image_whose_file_was_closed_is_a_bad_image_not_an_attribute_error(png):
    with Image.open(png) as lazy:
        pass
    with pytest.raises(BadImage, match="whose file was closed before it was read"):
        load_image(lazy)
    with Image.open(png) as loaded:
        loaded.load()
    assert load_image(loaded).shape[2] == 3

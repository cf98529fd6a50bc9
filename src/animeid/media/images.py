"""Safe image decoding. User uploads are hostile by default: empty, truncated, not images, or
decompression bombs. Every failure becomes a BadImage with a one-line reason."""
from __future__ import annotations

import io
import os
import re
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Iterator, Union

import numpy as np

from animeid.config import ImageLimits
from animeid.errors import AnimeidError, BadImage

if TYPE_CHECKING:
    import PIL.Image

ImageInput = Union[str, os.PathLike, bytes, bytearray, memoryview, BinaryIO, np.ndarray, "PIL.Image.Image"]

# for a message refusing anything else
ACCEPTED_INPUTS = ("a path, bytes (or a bytearray or memoryview), a file object opened in binary mode, "
                   "a numpy array or a PIL image")

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")


@contextmanager
def bomb_warning_ignored() -> Iterator[None]:
    """Pillow's decompression-bomb warning silenced, where the caller holds the pixels to its own
    `ImageLimits` instead (clips: their frame size is checked before any frame is decoded)."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        yield


# ISO-BMFF major brands of still pictures (AVIF, HEIF/HEIC and their image sequences)
_PICTURE_BRANDS = frozenset({b"avif", b"avis", b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm",
                             b"hevs", b"mif1", b"mif2", b"msf1", b"miaf"})


def video_suffix(head: bytes) -> str | None:
    """".mp4" (MP4/MOV), ".mkv" (Matroska/WebM) or ".avi" for bytes that begin a video container,
    else None: AVIF and HEIF pictures are ISO-BMFF files too, told apart by their major brand."""
    if head[4:8] == b"ftyp":
        return None if head[8:12] in _PICTURE_BRANDS else ".mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return ".mkv"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return ".avi"
    return None


def describe(source: ImageInput) -> str:
    """A short human name for an input, for error messages and JSON output."""
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return f"<{memoryview(source).nbytes} bytes>"
    if isinstance(source, np.ndarray):
        return f"<array {source.shape}>"
    if _is_file_object(source) and isinstance(getattr(source, "name", None), str):
        return source.name   # open(path, "rb"): its path
    return f"<{type(source).__name__}>"


def _is_file_object(source) -> bool:
    return callable(getattr(source, "read", None))


def url_refusal(source, what: str = "image") -> str | None:
    """The message for a URL given where a path is expected, else None: Path() would turn
    "https://x/a.png" into "https:/x/a.png", a file that does not exist."""
    if isinstance(source, str) and re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", source):
        return (f"{source}: a URL; animeid fetches nothing from the network: download the {what} and "
                "give its path")
    return None


def _check_pixels(w: int, h: int, limits: ImageLimits) -> None:
    if w * h > limits.max_pixels:
        raise BadImage(f"image is {w}x{h}, above the {limits.max_pixels:,}-pixel limit")
    if min(w, h) < limits.min_side:
        raise BadImage(f"image is {w}x{h}, too small to recognise anything")


def _sixteen_bit_to_uint8(arr: np.ndarray) -> np.ndarray:
    """One rule for 16-bit pixels, from a file or an array: a true 16-bit picture keeps its high
    byte, while one whose values all fit 8 bits (an 8-bit picture saved in, or cast to, a 16-bit
    container) is kept as it is; its high byte would be a black picture."""
    if arr.size and arr.max() > 255:
        return (arr >> 8).astype(np.uint8)
    return arr.astype(np.uint8)


def _to_8bit(img):
    """A 16-bit or 32-bit grey image (a PNG screenshot saved at 16 bits, a float TIFF) as 8-bit
    'L': `convert("RGB")` clips such values at 255, turning the picture white. 16-bit values keep
    their high byte; other ranges are kept when they already fit 0-255 (or 0-65535, as 16-bit),
    floats in 0-1 are scaled by 255, and anything else is stretched from its min to its max."""
    from PIL import Image

    if img.mode.startswith("I;16"):
        return Image.fromarray(_sixteen_bit_to_uint8(np.asarray(img).astype(np.uint16)))
    arr = np.asarray(img, dtype=np.float32)
    finite = arr[np.isfinite(arr)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    if lo >= 0 and hi <= 255 and (img.mode != "F" or hi > 1):
        out = arr
    elif img.mode == "I" and lo >= 0 and hi <= 65535:
        out = arr / 256
    elif img.mode == "F" and lo >= 0 and hi <= 1:
        out = arr * 255
    else:
        out = (arr - lo) * (255 / (hi - lo)) if hi > lo else np.zeros_like(arr)
    out = np.nan_to_num(out, nan=0.0, posinf=255.0, neginf=0.0)
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


def _short_side_size(w: int, h: int, short_side: int | None) -> tuple[int, int] | None:
    """The size `resize_short_side` shrinks a w x h picture to, or None when it keeps it."""
    if not short_side or min(w, h) <= short_side:
        return None
    scale = short_side / min(w, h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def _to_rgb_array(img, limits: ImageLimits, short_side: int | None = None, owned: bool = False) -> np.ndarray:
    """HxWx3 uint8, shrunk to `short_side` while still a PIL image: a full-size array of a large
    upload would be one more copy of every pixel. `owned` images (decoded here) are rotated in
    place instead of copied."""
    from PIL import Image, ImageOps

    _check_pixels(*img.size, limits)
    try:
        if owned:
            ImageOps.exif_transpose(img, in_place=True)
        else:
            img = ImageOps.exif_transpose(img)
        if img.mode.startswith("I;16") or img.mode in ("I", "F"):
            img = _to_8bit(img)
        if img.mode in ("RGBA", "LA", "P", "PA"):
            img = img.convert("RGBA")
            background = Image.new("RGBA", img.size, (255, 255, 255, 255))
            img = Image.alpha_composite(background, img)
        if img.mode != "RGB":
            img = img.convert("RGB")
        # the same resize as `resize_short_side` on the array, so the pixels come out identical
        size = _short_side_size(*img.size, short_side)
        if size is not None:
            img = img.resize(size, Image.BILINEAR)
        return _as_array(img)
    except AttributeError:
        if getattr(img, "tile", None) and getattr(img, "fp", 1) is None:   # Pillow read from a closed file
            raise BadImage("a PIL image whose file was closed before it was read (used after its `with "
                           "Image.open(...)` block): call .load() inside the block, or give the path") from None
        raise
    except (OSError, ValueError, SyntaxError) as exc:
        raise BadImage(f"cannot decode image: {exc}") from None


def _as_array(img) -> np.ndarray:
    """The RGB pixels of `img`, band by band: `np.asarray(img)` goes through one `tobytes()` of
    the whole picture, two more full copies at its peak for a large upload."""
    w, h = img.size
    out = np.empty((h, w, 3), np.uint8)
    band = max(1, (4 << 20) // (3 * w))   # ~4 MB at a time
    for y in range(0, h, band):
        out[y:y + band] = np.asarray(img.crop((0, y, w, min(h, y + band))), dtype=np.uint8)
    return out


def shown_path(source) -> str:
    """A path for a message: at most 120 characters, a NUL byte shown as \\0."""
    text = str(source).replace("\0", "\\0")
    return text if len(text) <= 120 else text[:60] + "…" + text[-40:]


def image_list(items, method: str, one: str, what: str = "images") -> list:
    """`items` as a list, read once (a generator too). A path, bytes or an array is itself
    iterable: taken as a list it was read character by character (a warning per letter), byte by
    byte or row by row, so a single one is refused, naming the call (`method`) and what to do
    instead (`one`)."""
    single = (str, bytes, bytearray, memoryview, os.PathLike, np.ndarray)
    if (isinstance(items, single) or hasattr(items, "getpixel") or _is_file_object(items)
            or not hasattr(items, "__iter__")):
        raise AnimeidError(f"{method} takes a list of {what}, not a single {type(items).__name__}; {one}")
    return list(items)


def rgb_array(image) -> np.ndarray:
    """`image` as HxWx3 uint8 RGB: such an array as it is (no copy, no limits: the hot path of
    code that already decoded it), anything else through `load_image`."""
    if isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3:
        return image
    return load_image(image)


def load_image(source: ImageInput, limits: ImageLimits = ImageLimits(), short_side: int | None = None) -> np.ndarray:
    """Decode anything image-like (`ACCEPTED_INPUTS`) into an HxWx3 uint8 RGB array. A file
    object is read as the bytes it holds from where it stands, so an upload kept in a BytesIO is
    answered as its bytes and its file are.

    With `short_side`, the result is downscaled so its short side is at most that; JPEGs are then
    decoded at reduced scale directly (DCT scaling), which is most of the cost of a 1080p upload,
    and other formats are shrunk before they become an array. The pixel limit is checked on the
    size the file declares, before anything is decoded: a 200 kB PNG can declare 60 MP."""
    from PIL import Image

    if isinstance(source, np.ndarray):
        return _array_to_rgb(source, limits, short_side)
    if isinstance(source, Image.Image):
        data = _undecoded_jpeg(source, limits, short_side)
        if data is None:
            return _to_rgb_array(source, limits, short_side)
        name = describe(source)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = describe(source)
    elif isinstance(source, (str, os.PathLike)):
        if refusal := url_refusal(source):
            raise BadImage(refusal)
        if isinstance(source, str) and not source:   # Path("") is "."
            raise BadImage("an empty path is not an image")
        if "\0" in str(source):   # Path.exists() answers False for it: "no such file" would hide why
            raise BadImage(f"{shown_path(source)}: cannot be used as a path (embedded null byte)")
        path = Path(source)
        try:   # a name over 255 bytes raises here, not in the read below
            exists, is_dir = path.exists(), path.is_dir()
        except (OSError, ValueError) as exc:
            raise BadImage(f"{shown_path(source)}: cannot be used as a path "
                           f"({getattr(exc, 'strerror', None) or exc})") from None
        if not exists:
            raise BadImage(f"{path}: no such file")
        if is_dir:
            raise BadImage(f"{path}: is a directory, not an image")
        try:
            size = path.stat().st_size
            if size == 0:
                raise BadImage(f"{path}: empty file (0 bytes)")
            if size > limits.max_bytes:
                raise BadImage(f"{path}: {size:,} bytes, above the {limits.max_bytes:,}-byte limit")
            data = path.read_bytes()
        except OSError as exc:
            raise BadImage(f"{path}: cannot read ({exc.strerror or exc})") from None
        name = str(path)
    elif _is_file_object(source):
        data, name = file_object_bytes(source, limits), describe(source)
    else:
        raise BadImage(f"unsupported image input of type {type(source).__name__}; give {ACCEPTED_INPUTS}")
    if not data:
        raise BadImage(f"{name}: empty input (0 bytes)")
    if len(data) > limits.max_bytes:
        raise BadImage(f"{name}: {len(data):,} bytes, above the {limits.max_bytes:,}-byte limit")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            _check_pixels(*img.size, limits)
            draft = _draft_size(img, short_side)
            if draft:
                img.draft("RGB", draft)
            img.load()
    except BadImage as exc:
        raise BadImage(f"{name}: {exc}") from None
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        # Pillow refuses before `_check_pixels` sees the size; its message has the pixel count, so
        # the error reads like the one for a smaller image over the limit
        declared = re.search(r"Image size \((\d+) pixels\)", str(exc))
        size = f"{int(declared.group(1)):,} pixels, " if declared else ""
        raise BadImage(f"{name}: image is {size}above the {limits.max_pixels:,}-pixel limit "
                       "(decompression bomb guard)") from None
    except Exception as exc:  # PIL raises many types for hostile input
        if video_suffix(data[:32]):
            raise BadImage(f"{name}: a video, not a picture; give a frame of it (`animeid search` takes "
                           "video clips; in Python, Index.search_clip)") from None
        reason = re.sub(r"<_io\.BytesIO object at 0x[0-9a-f]+>", "data", str(exc))
        raise BadImage(f"{name}: not a readable image ({type(exc).__name__}: {reason})") from None
    try:
        return _to_rgb_array(img, limits, short_side, owned=True)
    except BadImage as exc:
        raise BadImage(f"{name}: {exc}") from None


def _draft_size(img, short_side: int | None) -> tuple[int, int] | None:
    """The size to decode a JPEG at (DCT scaling), or None to decode it whole."""
    if not short_side or img.format != "JPEG" or min(img.size) <= 2 * short_side:
        return None
    w, h = img.size
    scale = short_side / min(w, h)
    return max(1, int(w * scale)), max(1, int(h * scale))


def _undecoded_jpeg(img, limits: ImageLimits, short_side: int | None) -> bytes | None:
    """The file of a JPEG opened (`Image.open`) but not decoded yet, when it would be decoded at
    reduced scale: decoded whole and then shrunk, its pixels differ slightly from the same file
    given as a path (similarities by ~0.001, enough to swap near-tied answers). Read again from
    its file rather than drafted in place, which would shrink the caller's own image. None for
    anything else (decoded already, drafted by the caller, its file closed or over the byte
    limit), which is decoded as it is."""
    tile, fp = getattr(img, "tile", None), getattr(img, "fp", None)
    # one tile read from the start of the file: Image.open reads a file object from offset 0 too
    if (_draft_size(img, short_side) is None or fp is None or getattr(img, "decoderconfig", None)
            or not tile or len(tile) != 1 or tile[0][2] != 0):
        return None
    try:
        start = fp.tell()
        fp.seek(0)
        data = fp.read(limits.max_bytes + 1)
        fp.seek(start)
    except (OSError, ValueError, AttributeError):
        return None
    return data if isinstance(data, bytes) and 0 < len(data) <= limits.max_bytes else None


def file_object_bytes(source, limits: ImageLimits) -> bytes:
    """What a binary file object holds from where it stands, which is put back when it can be:
    the same object given twice (a search, then an identify) is the same picture twice, as the
    same bytes would be. Read to one byte past the limit only, since its size is not known."""
    name = describe(source)
    text_mode = f"{name}: a file opened in text mode; open it in binary mode (open(path, \"rb\"))"
    if isinstance(source, io.TextIOBase):
        raise BadImage(text_mode)
    try:
        start = source.tell() if callable(getattr(source, "seekable", None)) and source.seekable() else None
        try:
            data = source.read(limits.max_bytes + 1)
        except TypeError:   # a read() that takes no size
            data = source.read()
        if start is not None:
            source.seek(start)
    except (OSError, ValueError) as exc:   # ValueError: a closed file
        raise BadImage(f"{name}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    if isinstance(data, str):
        raise BadImage(text_mode)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise BadImage(f"{name}: read() gave {type(data).__name__}, not bytes; give {ACCEPTED_INPUTS}")
    if len(data) > limits.max_bytes:
        raise BadImage(f"{name}: above the {limits.max_bytes:,}-byte limit")
    return bytes(data)


def _array_to_rgb(source: np.ndarray, limits: ImageLimits, short_side: int | None) -> np.ndarray:
    """An array as the same picture saved to a file would load: the same size limits, float
    pixels in 0-1 (what most Python imaging code makes) scaled as a float TIFF is, 16-bit
    pixels as a 16-bit PNG's are (`_sixteen_bit_to_uint8`), and transparency laid over white,
    not dropped to black."""
    arr = source
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4) or arr.size == 0:
        raise BadImage(f"array of shape {source.shape} is not an image (HxW, HxWx3 RGB or HxWx4 RGBA)")
    _check_pixels(arr.shape[1], arr.shape[0], limits)
    arr = _array_to_uint8(arr)
    if arr.shape[2] == 4:
        alpha = arr[:, :, 3:].astype(np.float32) / 255.0
        arr = np.rint(arr[:, :, :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    elif arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    arr = np.ascontiguousarray(arr[:, :, :3])
    return resize_short_side(arr, short_side) if short_side else arr


def _array_to_uint8(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.uint16:
        return _sixteen_bit_to_uint8(arr)
    if np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all():
            raise BadImage("float array holds NaN or infinite pixels")
        low, high = float(arr.min()), float(arr.max())
        if low >= 0.0 and high <= 1.0:
            return np.rint(arr * 255.0).astype(np.uint8)
        if low >= 0.0 and high <= 255.0:
            return np.rint(arr).astype(np.uint8)
        raise BadImage(f"float array pixels run from {low:g} to {high:g}; give 0-1 or 0-255")
    raise BadImage(f"array dtype {arr.dtype} is not an image's (uint8, uint16, or float in 0-1)")


def resize_short_side(img: np.ndarray, short_side: int) -> np.ndarray:
    """Downscale so the short side is at most `short_side`, keeping aspect; never upscale."""
    from PIL import Image

    size = _short_side_size(img.shape[1], img.shape[0], short_side)
    if size is None:
        return img
    return np.asarray(Image.fromarray(img).resize(size, Image.BILINEAR))


def list_images(folder: Path) -> list[Path]:
    """Image files directly inside a folder, sorted for reproducibility."""
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)

"""Safe image decoding. User uploads are hostile by default: empty, truncated, not images, or
decompression bombs. Every failure becomes a BadImage with a one-line reason."""
from __future__ import annotations

import io
import os
import re
import warnings
from pathlib import Path
from typing import Union

import numpy as np

from animeid.config import ImageLimits
from animeid.errors import BadImage

ImageInput = Union[str, os.PathLike, bytes, bytearray, np.ndarray, "PIL.Image.Image"]  # noqa: F821

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")


def describe(source: ImageInput) -> str:
    """A short human name for an input, for error messages and JSON output."""
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    if isinstance(source, (bytes, bytearray)):
        return f"<{len(source)} bytes>"
    if isinstance(source, np.ndarray):
        return f"<array {source.shape}>"
    return f"<{type(source).__name__}>"


def _to_rgb_array(img, limits: ImageLimits) -> np.ndarray:
    from PIL import Image, ImageOps

    w, h = img.size
    if w * h > limits.max_pixels:
        raise BadImage(f"image is {w}x{h}, above the {limits.max_pixels:,}-pixel limit")
    if min(w, h) < limits.min_side:
        raise BadImage(f"image is {w}x{h}, too small to recognise anything")
    try:
        img = ImageOps.exif_transpose(img)
        if img.mode in ("RGBA", "LA", "P", "PA"):
            img = img.convert("RGBA")
            background = Image.new("RGBA", img.size, (255, 255, 255, 255))
            img = Image.alpha_composite(background, img)
        img = img.convert("RGB")
        arr = np.asarray(img, dtype=np.uint8)
    except (OSError, ValueError, SyntaxError) as exc:
        raise BadImage(f"cannot decode image: {exc}") from None
    return np.ascontiguousarray(arr)


def load_image(source: ImageInput, limits: ImageLimits = ImageLimits(), short_side: int | None = None) -> np.ndarray:
    """Decode anything image-like into an HxWx3 uint8 RGB array.

    With `short_side`, the result is downscaled so its short side is at most that; JPEGs are then
    decoded at reduced scale directly (DCT scaling), which is most of the cost of a 1080p upload."""
    from PIL import Image

    if isinstance(source, np.ndarray):
        arr = source
        if arr.ndim == 2:
            arr = np.repeat(arr[:, :, None], 3, axis=2)
        if arr.ndim != 3 or arr.shape[2] not in (3, 4) or arr.size == 0:
            raise BadImage(f"array of shape {source.shape} is not an RGB image")
        if arr.dtype != np.uint8:
            raise BadImage(f"array dtype {arr.dtype} is not uint8")
        arr = np.ascontiguousarray(arr[:, :, :3])
        return resize_short_side(arr, short_side) if short_side else arr
    if isinstance(source, Image.Image):
        arr = _to_rgb_array(source, limits)
        return resize_short_side(arr, short_side) if short_side else arr
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        name = describe(source)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise BadImage(f"{path}: no such file")
        if path.is_dir():
            raise BadImage(f"{path}: is a directory, not an image")
        size = path.stat().st_size
        if size == 0:
            raise BadImage(f"{path}: empty file (0 bytes)")
        if size > limits.max_bytes:
            raise BadImage(f"{path}: {size:,} bytes, above the {limits.max_bytes:,}-byte limit")
        data = path.read_bytes()
        name = str(path)
    else:
        raise BadImage(f"unsupported image input of type {type(source).__name__}")
    if not data:
        raise BadImage(f"{name}: empty input (0 bytes)")
    if len(data) > limits.max_bytes:
        raise BadImage(f"{name}: {len(data):,} bytes, above the {limits.max_bytes:,}-byte limit")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            if short_side and img.format == "JPEG" and min(img.size) > 2 * short_side:
                w, h = img.size
                scale = short_side / min(w, h)
                img.draft("RGB", (max(1, int(w * scale)), max(1, int(h * scale))))
            img.load()
    except Image.DecompressionBombWarning:
        raise BadImage(f"{name}: image too large (decompression bomb guard)") from None
    except Image.DecompressionBombError:
        raise BadImage(f"{name}: image too large (decompression bomb guard)") from None
    except Exception as exc:  # PIL raises many types for hostile input
        reason = re.sub(r"<_io\.BytesIO object at 0x[0-9a-f]+>", "data", str(exc))
        raise BadImage(f"{name}: not a readable image ({type(exc).__name__}: {reason})") from None
    try:
        arr = _to_rgb_array(img, limits)
    except BadImage as exc:
        raise BadImage(f"{name}: {exc}") from None
    return resize_short_side(arr, short_side) if short_side else arr


def resize_short_side(img: np.ndarray, short_side: int) -> np.ndarray:
    """Downscale so the short side is at most `short_side`, keeping aspect; never upscale."""
    from PIL import Image

    h, w = img.shape[:2]
    s = min(h, w)
    if s <= short_side:
        return img
    scale = short_side / s
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(img).resize(size, Image.BILINEAR))


def list_images(folder: Path) -> list[Path]:
    """Image files directly inside a folder, sorted for reproducibility."""
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)

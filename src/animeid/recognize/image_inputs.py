"""What `Recognizer` accepts as images, checked in one place: a path, bytes, an array or a PIL image
where one image is meant, a list of them where several are, and the content digest that makes
enrolling the same picture twice a no-op."""
from __future__ import annotations

import os

import numpy as np

from animeid.errors import AnimeidError


def load_source(source) -> np.ndarray:
    from animeid.media.images import load_image

    return load_image(source)


def content_digest(source) -> str | None:
    """Content hash of an image as given (file bytes, bytes, or pixels), so enrolling the same
    folder twice adds nothing; None when the source cannot be read (loading reports that)."""
    import hashlib

    from animeid.features.efficientnet_lite import sha256_file

    h = hashlib.sha256()
    try:
        if isinstance(source, np.ndarray):
            h.update(repr((source.shape, source.dtype.str)).encode())
            h.update(np.ascontiguousarray(source).tobytes())
        elif isinstance(source, (bytes, bytearray, memoryview)):
            h.update(bytes(source))  # the same bytes as a file holding them: an upload matches its file
        elif hasattr(source, "tobytes") and hasattr(source, "size"):  # a PIL image
            h.update(repr((source.mode, source.size)).encode())
            h.update(source.tobytes())
        else:
            return sha256_file(source)
    except (OSError, TypeError, ValueError):
        return None
    return h.hexdigest()


def image_list(images, method: str, one: str) -> list:
    """`images` as a list, read once (a generator too). A path, bytes or an array is itself
    iterable: taken as a list it was read character by character (a warning per letter) or byte
    by byte, so a single image is refused, naming the call that takes one."""
    single = (str, bytes, bytearray, memoryview, os.PathLike, np.ndarray)
    if isinstance(images, single) or hasattr(images, "getpixel") or not hasattr(images, "__iter__"):
        raise AnimeidError(f"{method} takes a list of images, not a single {type(images).__name__}; {one}")
    return list(images)


"""How `Recognizer` reads an image it is given (a path, bytes, a binary file object, an array or
a PIL image), and the content digest that makes enrolling the same picture twice a no-op."""
from __future__ import annotations

import numpy as np

from animeid.errors import BadImage


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
        elif callable(getattr(source, "read", None)):
            # a file object: its bytes, as an upload's; only when it can be read again (it is put
            # back where it stood), since a pipe read here would leave nothing to enrol
            if not (callable(getattr(source, "seekable", None)) and source.seekable()):
                return None
            from animeid.config import ImageLimits
            from animeid.media.images import file_object_bytes

            h.update(file_object_bytes(source, ImageLimits()))
        else:
            return sha256_file(source)
    except (OSError, TypeError, ValueError, BadImage):
        return None
    return h.hexdigest()


"""Content digests for gallery rows stored before galleries kept them, so that enrolling a folder
again skips what those rows already hold."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from animeid.errors import BadImage
from animeid.recognize.image_inputs import content_digest, load_source


def backfill_digests(gallery, label: str, prepare: Callable, extract: Callable[[list], np.ndarray],
                     batch_size: int) -> None:
    """Give this label's rows from before digests the digest of their source file, but only
    when that file still holds the enrolled picture (its embedding is the stored vector): a
    file replaced since, or a relative path read from another folder, must not make a new
    picture look enrolled. Rows are looked at once ('' marks no match)."""
    rows = gallery.undigested(label)
    pairs = [("", row_id) for row_id, _, _ in rows]  # until a file proves otherwise
    candidates = []  # (index into pairs, digest, pixels, stored vector)
    for n, (row_id, source, vector) in enumerate(rows):
        path = Path(source)
        digest = content_digest(path) if path.is_file() else None
        if digest is None:
            continue
        try:
            candidates.append((n, digest, prepare(load_source(path))[0], vector))
        except BadImage:
            continue
        if len(candidates) == batch_size:
            _confirm(candidates, pairs, extract)
            candidates = []
    _confirm(candidates, pairs, extract)
    if pairs:
        gallery.set_digests(pairs)


def _confirm(candidates: list, pairs: list, extract) -> None:
    """Digest the rows whose file embeds to their stored vector (one batch of files)."""
    if not candidates:
        return
    fresh = extract([pixels for _, _, pixels, _ in candidates])
    for (n, digest, _, vector), now in zip(candidates, fresh):
        if float(now @ vector) > 0.9999:
            pairs[n] = (digest, pairs[n][1])

"""Bringing a gallery's vector index up to date with images another process added, without
rebuilding it.

An `animeid enroll` stores one label per transaction and saves the index only at its end, so a
server holding the gallery saw a new generation after every label and rebuilt its index from
SQLite each time: 20 s per label for a 30,000-image (HNSW) gallery, under the lock every identify
takes. Additions only append rows with ids above every id an index holds, so those rows are all it
lacks. Removals are counted (`REMOVALS`): after one, SQLite may give a removed row's id to a new
row, and only a rebuild is safe. Additions are counted too (`ADDITIONS`): every change moves the
generation on by one, so a change counted as neither was made by a release that counted nothing
(it may have removed rows, their ids then given again), and only a rebuild is safe after it."""
from __future__ import annotations

import json

import numpy as np

# meta keys: how many removals, and how many additions, the gallery has seen
REMOVALS = "removals"
ADDITIONS = "additions"


def removals(gallery) -> list[int]:
    """What an index must have been built after to be caught up: [removals, changes counted as
    neither removal nor addition], read in one statement (one snapshot of the store)."""
    meta = {k: json.loads(v) for k, v in gallery.conn.execute(
        "SELECT key, value FROM meta WHERE key IN (?, ?, 'generation')", (REMOVALS, ADDITIONS))}
    removed = int(meta.get(REMOVALS, 0))
    return [removed, int(meta.get("generation", 0)) - removed - int(meta.get(ADDITIONS, 0))]


def count_removal(gallery) -> None:
    """Inside the removing transaction."""
    gallery.put_meta(REMOVALS, int(gallery.meta(REMOVALS, 0)) + 1)


def count_addition(gallery) -> None:
    """Inside the adding transaction."""
    gallery.put_meta(ADDITIONS, int(gallery.meta(ADDITIONS, 0)) + 1)


def caught_up(gallery, index, seen_removals: list[int] | None, generation) -> bool:
    """Add to `index` (holding every row up to its highest id as of `seen_removals`) the rows
    stored since; False, with `index` untouched, when only a rebuild can bring it up to date."""
    if index is None or seen_removals is None or seen_removals != removals(gallery):
        return False
    have = int(index.ids().max()) if index.ntotal else 0
    rows = gallery.conn.execute("SELECT id, vector FROM items WHERE id > ? ORDER BY id", (have,)).fetchall()
    # another change landed while reading, or rows it should hold are gone: rebuild
    if (removals(gallery) != seen_removals or gallery.meta("generation") != generation
            or len(gallery) != index.ntotal + len(rows)):
        return False
    if rows:
        vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), gallery.dim)
        index.add(vectors, np.asarray([r[0] for r in rows], dtype=np.int64))
    return True

"""A scene index's vectors on disk: the saved FAISS index, the sequence number of the last log
chunk it contains, and the log chunks after it (`store.shards.ShardLog`), replayed on opening."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from animeid.config import EmbedderCfg
from animeid.errors import IncompatibleIndex
from animeid.store.shards import ShardLog
from animeid.store.vectors import VectorIndex

APPLIED_FILE = "vectors.applied.json"
# what a user can do about a damaged index: nothing in it can be trusted to rebuild the rest
RECOVER = "move the folder aside and index the library into a new --db, or put back a copy of it"


def read_applied(folder: Path) -> int:
    path = folder / APPLIED_FILE
    if not path.exists():
        return 0
    try:
        return int(json.loads(path.read_text())["seq"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IncompatibleIndex(f"{folder}: damaged index ({APPLIED_FILE}: {exc}); {RECOVER}") from None


def open_vectors(folder: Path, cfg: EmbedderCfg, factory: str) -> tuple[VectorIndex, ShardLog]:
    """The saved vectors plus the log chunks after them. An `animeid index` finishing meanwhile
    saves the vectors and retires chunks between listing them and reading them: the load then
    starts over from the newly saved vectors (nothing was lost)."""
    for _ in range(5):
        try:
            return _open_vectors_once(folder, cfg, factory)
        except FileNotFoundError:
            continue
    raise IncompatibleIndex(f"{folder}: its vectors kept changing while being read (an `animeid index` is "
                            "finishing); try again in a moment")


def _open_vectors_once(folder: Path, cfg: EmbedderCfg, factory: str) -> tuple[VectorIndex, ShardLog]:
    if VectorIndex.exists(folder):
        try:
            vectors = VectorIndex.load(folder)
        except IncompatibleIndex as exc:
            raise IncompatibleIndex(f"damaged index: {exc}; {RECOVER}") from None
        applied = read_applied(folder)
    elif (folder / APPLIED_FILE).exists():  # written only after the vectors were saved
        raise IncompatibleIndex(f"{folder}: damaged index (its saved vectors are missing); {RECOVER}")
    else:
        vectors = VectorIndex(cfg.dim, factory, cfg.metric)
        applied = 0
    try:
        shards = ShardLog(folder / "wal", applied)
    except (FileExistsError, NotADirectoryError):   # something else where its log folder belongs
        raise IncompatibleIndex(f"{folder}: damaged index ({folder / 'wal'} is not a folder); {RECOVER}") from None
    try:
        replay(vectors, list(shards.after(applied)))
    except IncompatibleIndex:
        pass  # too few vectors to train on yet: they wait in the log for the next run
    return vectors, shards


def replay(vectors: VectorIndex, pending: list[tuple[int, np.ndarray, np.ndarray]]) -> None:
    """Apply log chunks to the vector index, training it first if it needs to be. Idempotent: a
    chunk's ids are removed before they are added, so replaying one twice is harmless."""
    if pending and not vectors.is_trained:
        vectors.train(np.concatenate([v for _, _, v in pending]))
    for _, ids, vecs in pending:
        vectors.remove(ids)
        vectors.add(vecs, ids)

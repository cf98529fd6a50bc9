"""An append-only log of (ids, vectors) chunks: the write-ahead log of the vector index.

Each checkpoint writes one chunk atomically before its metadata commits, so after a crash every
committed entry's vector is on disk even if the FAISS file was never saved. Replaying a chunk is
idempotent (its ids are removed before they are added), so replaying one twice is harmless."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterator

import numpy as np

_NAME = re.compile(r"^(\d{8})\.npz$")


class ShardLog:
    """`applied` is the last sequence number the saved index contains: numbering continues above
    it even when every chunk has been retired, or a new chunk numbered at or below it would be
    taken for applied and never replayed after a crash."""

    def __init__(self, folder: Path, applied: int = 0):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.applied = int(applied)

    def sequences(self) -> list[int]:
        return sorted(int(m.group(1)) for p in self.folder.iterdir() if (m := _NAME.match(p.name)))

    def last(self) -> int:
        """The highest sequence number written or applied so far."""
        seqs = self.sequences()
        return max(seqs[-1] if seqs else 0, self.applied)

    def append(self, ids: np.ndarray, vectors: np.ndarray) -> int:
        seq = self.last() + 1
        tmp = self.folder / f"{seq:08d}.tmp.npz"
        np.savez(tmp, ids=np.asarray(ids, np.int64), vectors=np.asarray(vectors, np.float32))
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, self.folder / f"{seq:08d}.npz")
        return seq

    def read(self, seq: int) -> tuple[np.ndarray, np.ndarray]:
        with np.load(self.folder / f"{seq:08d}.npz") as data:
            return data["ids"], data["vectors"]

    def after(self, seq: int) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        for s in self.sequences():
            if s > seq:
                ids, vectors = self.read(s)
                yield s, ids, vectors

    def drop_upto(self, seq: int) -> None:
        """Retire the chunks the saved index now contains (`seq` becomes `applied`)."""
        self.applied = max(self.applied, int(seq))
        for s in self.sequences():
            if s <= seq:
                (self.folder / f"{s:08d}.npz").unlink(missing_ok=True)
        for p in self.folder.glob("*.tmp.npz"):
            p.unlink(missing_ok=True)

"""A gallery: labelled vectors in SQLite (the source of truth) and a FAISS index derived from them.

Open set without retraining means a label is just rows: enrolling inserts them, removing deletes
them, and nothing else changes. SQLite transactions make every change land whole or not at all;
the vector index is a cache rebuilt from SQLite whenever its recorded generation is stale (or
given the rows added since: `gallery_catch_up`), so a crash between the two can never lose an
enrolled image.

One process writes a gallery at a time (an exclusive lock on its `.lock` file, as `animeid index`
takes): two enrols that both looked for an image before either stored it would store it twice."""
from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np

from animeid.errors import AnimeidError, IncompatibleIndex
from animeid.file_names import is_text
from animeid.output_folders import refuse_dangling_links, remove_path
from animeid.recognize.gallery_catch_up import caught_up, count_addition, count_removal, removals
from animeid.store.sqlite_reading import connect_for_reading
from animeid.store.store_kind import not_this_kind, store_kind
from animeid.store.write_lock import LOCK_FILE, take_write_lock

DB_FILE = "gallery.sqlite"
VECTORS_DIR = "vectors"
FORMAT = "animeid-gallery/1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS labels (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    label_id INTEGER NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    vector BLOB NOT NULL,
    digest TEXT
);
CREATE INDEX IF NOT EXISTS items_label ON items(label_id);
"""
# galleries made before items had a digest get the column (NULL: those items are never matched)
DIGEST_INDEX = "CREATE INDEX IF NOT EXISTS items_digest ON items(digest)"


def check_label(label: str) -> str:
    """Any printable text is a label (slashes, dots and unicode included: it is stored as text,
    never used as a path); empty or control characters are refused."""
    if not isinstance(label, str) or not label.strip():
        what = "blank: only spaces" if isinstance(label, str) and label else "labels must be non-empty text"
        raise AnimeidError(f"invalid label {label!r}: {what}")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in label):
        raise AnimeidError(f"invalid label {label!r}: control characters are not allowed")
    if not is_text(label):  # a folder name's undecodable bytes: SQLite cannot store them
        raise AnimeidError(f"invalid label {label!r}: not valid UTF-8 text (rename the folder)")
    return label


class Gallery:
    """Labels and vectors of one folder; see the module docstring for the storage contract."""

    def __init__(self, folder: Path, conn: sqlite3.Connection):
        self.folder = Path(folder)
        self.conn = conn
        self._index = None
        # the generation `_index` mirrors: another process (a separate `animeid enroll` while a
        # server holds this gallery) moves the stored one on, and the index is then reloaded
        self._index_generation: int | None = None
        # the removals it was built after (`gallery_catch_up`): None when unknown
        self._index_removals: list[int] | None = None
        self._lock_fd: int | None = None
        self._lock_depth = 0

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def create(cls, folder: Path, meta: dict) -> "Gallery":
        """A new gallery, returned holding the write lock (`unlock` it unless it is being filled)."""
        folder = Path(folder)
        refuse_dangling_links(folder, "--db")
        if (folder / DB_FILE).exists():
            raise AnimeidError(f"{folder}: a gallery already exists here")
        if folder.exists() and not folder.is_dir():
            raise AnimeidError(f"{folder}: exists and is not a folder")
        found = store_kind(folder) if folder.is_dir() else None
        if found is not None:   # as `animeid index` into a gallery says it
            raise AnimeidError(f"{folder}: {found[1]}; refusing to write (enroll into another --db)")
        if folder.is_dir() and any(p.name != LOCK_FILE for p in folder.iterdir()):
            raise AnimeidError(f"{folder}: folder is not empty and holds no gallery; give a new or empty --db "
                               "folder (the gallery's images stay where they are, --db is where it is stored)")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AnimeidError(f"{folder}: cannot create the gallery folder ({exc.strerror or exc})") from None
        gallery = cls(folder, None)  # type: ignore[arg-type]
        gallery.lock()
        try:
            if (folder / DB_FILE).exists():  # another enrol created it while this one waited
                raise AnimeidError(f"{folder}: a gallery already exists here")
            gallery.conn = conn = cls._connect(folder / DB_FILE)
            with conn:
                conn.executescript(SCHEMA)
                conn.execute(DIGEST_INDEX)
                rows = {"format": FORMAT, "generation": 0, "index_generation": -1, **meta}
                conn.executemany("INSERT INTO meta(key, value) VALUES (?, ?)",
                                 [(k, json.dumps(v)) for k, v in rows.items()])
        except BaseException:
            gallery.close()
            raise
        return gallery

    @classmethod
    def open(cls, folder: Path, write: bool = False) -> "Gallery":
        """An existing gallery; `write` takes the write lock first, so nothing read from it can be
        changed by another writer until `close`."""
        folder = Path(folder)
        refuse_dangling_links(folder, "--db")
        if folder.exists() and not folder.is_dir():
            raise AnimeidError(f"{folder}: is a file, not a gallery folder")
        if not (folder / DB_FILE).exists():
            raise AnimeidError(not_this_kind(folder, "gallery", f"create one with `animeid enroll GALLERY --db {folder}`"))
        gallery = cls(folder, None)  # type: ignore[arg-type]
        if write:
            gallery.lock()
        try:
            try:
                gallery.conn = conn = cls._connect(folder / DB_FILE, reading_only=not write)
                fmt = conn.execute("SELECT value FROM meta WHERE key='format'").fetchone()
            except sqlite3.DatabaseError as exc:
                raise IncompatibleIndex(f"{folder / DB_FILE}: not a readable gallery ({exc})") from None
            if not fmt or json.loads(fmt[0]) != FORMAT:
                raise IncompatibleIndex(f"{folder}: not an animeid gallery of format {FORMAT}")
            if not gallery._has_digests():  # a gallery from before digests gets the column, once
                with gallery.writing():
                    if not gallery._has_digests():
                        with conn:
                            conn.execute("ALTER TABLE items ADD COLUMN digest TEXT")
                            conn.execute(DIGEST_INDEX)
        except BaseException:
            gallery.close()
            raise
        return gallery

    def _has_digests(self) -> bool:
        return "digest" in {row[1] for row in self.conn.execute("PRAGMA table_info(items)")}

    @staticmethod
    def _connect(path: Path, reading_only: bool = False) -> sqlite3.Connection:
        """A connection for reading and writing; for `reading_only` use, one for reading alone
        where the folder cannot be written (a read-only mount, a full disk: `store.sqlite_reading`)."""
        try:
            # a Recognizer serialises its own use (its lock): the connection may then serve any thread
            conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA journal_mode = WAL")
            return conn
        except sqlite3.OperationalError:
            if not reading_only:
                raise
        conn = connect_for_reading(path)
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor drops its lock
            self._lock_fd, self._lock_depth = None, 0

    # -- the write lock ------------------------------------------------------------------------
    def lock(self) -> None:
        """Take the write lock (again: it counts); another process holding it is an error at
        once, as for `animeid index`, rather than a wait of unknown length."""
        if self._lock_depth == 0:
            self._lock_fd = take_write_lock(self.folder, "gallery")
        self._lock_depth += 1

    def unlock(self) -> None:
        self._lock_depth -= 1
        if self._lock_depth == 0 and self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    @contextmanager
    def writing(self) -> Iterator[None]:
        self.lock()
        try:
            yield
        finally:
            self.unlock()

    # -- metadata ------------------------------------------------------------------------------
    def meta(self, key: str, default=None):
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_meta(self, key: str, value) -> None:
        with self.conn:
            self.put_meta(key, value)

    def put_meta(self, key: str, value) -> None:
        """`set_meta` inside a transaction the caller holds: it lands with the rest, or not at all."""
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, json.dumps(value)))

    @property
    def dim(self) -> int:
        return int(self.meta("dim"))

    def label_counts(self) -> dict[str, int]:
        rows = self.conn.execute(
            "SELECT l.name, COUNT(i.id) FROM labels l LEFT JOIN items i ON i.label_id = l.id "
            "GROUP BY l.id ORDER BY l.name").fetchall()
        return {name: int(n) for name, n in rows if n}

    def __len__(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM items").fetchone()[0])

    # -- changes -------------------------------------------------------------------------------
    def add(self, label: str, vectors: np.ndarray, sources: list[str],
            digests: list[str | None] | None = None) -> np.ndarray:
        """Insert one label's vectors in one transaction; returns their ids. `digests` (content
        hashes of the images) let a later enrol recognise an image it already holds."""
        check_label(label)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim:
            raise IncompatibleIndex(f"vectors of shape {vectors.shape} do not fit this {self.dim}-d gallery")
        digests = list(digests) if digests is not None else [None] * len(vectors)
        if len(sources) != len(vectors) or len(digests) != len(vectors):
            raise ValueError("one source and one digest per vector")
        ids = []
        with self.conn:
            self.conn.execute("INSERT OR IGNORE INTO labels(name) VALUES (?)", (label,))
            label_id = self.conn.execute("SELECT id FROM labels WHERE name=?", (label,)).fetchone()[0]
            for vec, src, digest in zip(vectors, sources, digests):
                cur = self.conn.execute("INSERT INTO items(label_id, source, vector, digest) VALUES (?, ?, ?, ?)",
                                        (label_id, str(src), vec.tobytes(), digest))
                ids.append(cur.lastrowid)
            count_addition(self)
            before, after = self._bump_generation()
        if self._index is not None and self._index_generation == before:
            if ids:
                self._index.add(vectors, np.asarray(ids, dtype=np.int64))
            self._index_generation = after
        else:   # the index missed another process's change: the next use reloads it whole
            self._index = None
        return np.asarray(ids, dtype=np.int64)

    def remove_label(self, label: str) -> int:
        """Delete a label and its vectors; returns how many vectors went."""
        return self.remove_labels([label])[label]

    def remove_labels(self, labels: list[str]) -> dict[str, int]:
        """Delete labels and their vectors in one transaction (all or none: an interrupted removal of
        several must not leave some, or a re-run would stop at the first one already gone); returns
        how many vectors each had."""
        removed = {}
        with self.conn:
            for label in dict.fromkeys(labels):
                row = self.conn.execute("SELECT id FROM labels WHERE name=?", (label,)).fetchone()
                if row is None:
                    raise AnimeidError(f"no label {label!r} in this gallery")
                n = self.conn.execute("SELECT COUNT(*) FROM items WHERE label_id=?", (row[0],)).fetchone()[0]
                self.conn.execute("DELETE FROM items WHERE label_id=?", (row[0],))
                self.conn.execute("DELETE FROM labels WHERE id=?", (row[0],))
                removed[label] = int(n)
            # until the refit, a re-run of this removal finds these gone and must finish it, not fail
            pending = self.meta("removed_uncalibrated", []) + list(removed)
            self.put_meta("removed_uncalibrated", list(dict.fromkeys(pending)))
            count_removal(self)
            self._bump_generation()
        self._index = None  # HNSW cannot delete in place; the next use rebuilds from SQLite
        return removed

    def _bump_generation(self) -> tuple[int, int]:
        """(generation before, after), inside the caller's transaction."""
        gen = int(json.loads(self.conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()[0]))
        self.conn.execute("UPDATE meta SET value=? WHERE key='generation'", (json.dumps(gen + 1),))
        return gen, gen + 1

    # -- reading -------------------------------------------------------------------------------
    def all_items(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(ids, vectors, labels) of every item, in id order."""
        rows = self.conn.execute(
            "SELECT i.id, i.vector, l.name FROM items i JOIN labels l ON l.id = i.label_id ORDER BY i.id").fetchall()
        ids = np.asarray([r[0] for r in rows], dtype=np.int64)
        vecs = (np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), self.dim)
                if rows else np.zeros((0, self.dim), np.float32))
        return ids, vecs, [r[2] for r in rows]

    def undigested(self, label: str) -> list[tuple[int, str, np.ndarray]]:
        """(id, source, vector) of this label's rows that have no digest yet (a gallery made
        before digests); '' marks a row already looked at."""
        rows = self.conn.execute("SELECT i.id, i.source, i.vector FROM items i JOIN labels l ON l.id = i.label_id "
                                 "WHERE l.name = ? AND i.digest IS NULL", (label,)).fetchall()
        return [(i, src, np.frombuffer(v, dtype=np.float32)) for i, src, v in rows]

    def set_digests(self, pairs: list[tuple[str, int]]) -> None:
        """(digest, id) pairs; an empty digest records "looked at, no file matches"."""
        with self.conn:
            self.conn.executemany("UPDATE items SET digest = ? WHERE id = ?", pairs)

    def labels_holding(self, digest: str) -> list[str]:
        """Labels that already hold an image with this content hash."""
        rows = self.conn.execute("SELECT DISTINCT l.name FROM items i JOIN labels l ON l.id = i.label_id "
                                 "WHERE i.digest = ? ORDER BY l.name", (digest,))
        return [r[0] for r in rows]

    def sources(self) -> list[str]:
        """Source of every item, in id order (the order of `all_items`)."""
        return [r[0] for r in self.conn.execute("SELECT source FROM items ORDER BY id")]

    def labels_of(self, ids: np.ndarray) -> list[str | None]:
        """Label per id (None for -1 or a missing id), looked up in one query."""
        wanted = sorted({int(i) for i in np.ravel(ids) if i >= 0})
        found: dict[int, str] = {}
        for start in range(0, len(wanted), 900):
            chunk = wanted[start:start + 900]
            q = ("SELECT i.id, l.name FROM items i JOIN labels l ON l.id = i.label_id WHERE i.id IN (%s)"
                 % ",".join("?" * len(chunk)))
            found.update({int(a): b for a, b in self.conn.execute(q, chunk)})
        return [found.get(int(i)) for i in np.ravel(ids)]

    # -- the derived vector index ---------------------------------------------------------------
    def factory_for(self, n: int) -> str:
        """Exact search while it is fast enough, HNSW graph search beyond (a 100k x 1280 flat scan
        alone costs more than the 50 ms budget on 2 cores)."""
        factory = self.meta("factory", "auto")
        if factory != "auto":
            return factory
        return "Flat" if n < int(self.meta("hnsw_above", 20000)) else "HNSW32"

    def vector_index(self):
        """The FAISS index of the stored generation: kept while no one changed the gallery, else
        loaded from disk when the saved one is current, else the one held (or the saved one) with
        the images added since (another process's enrol), else rebuilt from SQLite."""
        seen = removals(self)   # before the generation: a removal landing between is seen next time
        gen = self.meta("generation")
        if self._index is not None and self._index_generation == gen:
            return self._index
        if self.meta("index_generation") == gen:
            index = self._saved_index()
            if index is not None and index.ntotal == len(self):
                self._index, self._index_generation, self._index_removals = index, gen, seen
                return index
        base, base_removals = self._index, self._index_removals
        if (base is None or base_removals != seen) and self.meta("index_removals") == seen:
            base, base_removals = self._saved_index(), seen
        if caught_up(self, base, base_removals, gen):
            self._index, self._index_generation, self._index_removals = base, gen, base_removals
            return base
        return self.rebuild_index()

    def _saved_index(self):
        """The saved vector index, or None (none saved, or a damaged cache: SQLite has everything)."""
        from animeid.store.vectors import VectorIndex

        folder = self.folder / VECTORS_DIR
        try:
            index = VectorIndex.load(folder) if VectorIndex.exists(folder) else None
        except IncompatibleIndex:
            return None
        return index if index is not None and index.dim == self.dim else None

    def rebuild_index(self):
        from animeid.store.vectors import VectorIndex

        seen = removals(self)
        gen = self.meta("generation")
        ids, vecs, _ = self.all_items()
        index = VectorIndex(self.dim, self.factory_for(len(ids)), "cosine")
        index.train(vecs) if len(vecs) else None
        index.add(vecs, ids)
        # a change landing between the two reads leaves this index marked stale for the next use
        self._index, self._index_removals = index, seen
        self._index_generation = gen if self.meta("generation") == gen else None
        return index

    def save_index(self) -> None:
        """Persist the in-memory index and mark it current (after the SQLite commit it mirrors)."""
        if self._index is None:
            self.vector_index()
        tmp = self.folder / (VECTORS_DIR + ".tmp")
        remove_path(tmp)
        self._index.save(tmp)
        final = self.folder / VECTORS_DIR
        old = self.folder / (VECTORS_DIR + ".old")
        if final.exists() or final.is_symlink():
            remove_path(old)
            final.rename(old)
        tmp.rename(final)
        remove_path(old)
        with self.conn:   # together: a saved index is caught up only from the removals it was built after
            self.put_meta("index_removals", self._index_removals)
            self.put_meta("index_generation", self.meta("generation"))

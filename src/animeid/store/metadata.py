"""Scene metadata in SQLite: which file, title, episode and time span every vector id stands for.

SQLite gives the transactions the index needs to survive Ctrl-C and kill -9: a checkpoint either
lands whole or not at all, and a file is only `done` once all its entries have landed."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from animeid.errors import AnimeidError
from animeid.store.sqlite_reading import connect_for_reading

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,          -- relative to the library root
    title TEXT NOT NULL,
    episode REAL,
    fingerprint TEXT NOT NULL,
    duration REAL,
    status TEXT NOT NULL CHECK (status IN ('partial', 'done')),
    done_until REAL NOT NULL DEFAULT -1 -- last sampled second whose entry has landed
);
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    t_from REAL NOT NULL,
    t_at REAL NOT NULL,
    t_to REAL NOT NULL,
    thumb BLOB                          -- small grey thumbnail for temporal refinement
);
CREATE INDEX IF NOT EXISTS entries_file ON entries(file_id);
"""


@dataclass(frozen=True)
class FileRecord:
    id: int
    path: str
    title: str
    episode: float | None
    fingerprint: str
    duration: float | None
    status: str
    done_until: float


@dataclass(frozen=True)
class EntryRecord:
    id: int
    file_id: int
    t_from: float
    t_at: float
    t_to: float
    path: str
    title: str
    episode: float | None
    thumb: bytes | None = None


class MetadataStore:
    def __init__(self, path: Path, readonly: bool = False):
        self.path = Path(path)
        if readonly:
            self.conn = connect_for_reading(self.path)
        else:
            self.conn = sqlite3.connect(str(self.path), check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(SCHEMA)
        self.conn.execute("PRAGMA foreign_keys=ON")

    def close(self) -> None:
        self.conn.close()
        # using it afterwards said "sqlite3.ProgrammingError: Cannot operate on a closed database"
        self.conn = _ClosedConnection(self.path)

    def data_version(self) -> int:
        """Changes whenever another connection (another process) commits to this database."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    # --- meta ---------------------------------------------------------------------------
    def get_meta(self, key: str, default=None):
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_meta(self, key: str, value) -> None:
        """Store `value` under `key`; a value already stored is not written again: every commit tells
        a server holding the index that it changed (`data_version`), and it then reloads it whole."""
        text = json.dumps(value)
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        if row is not None and row[0] == text:
            return
        with self.conn:
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, text))

    # --- files --------------------------------------------------------------------------
    def files(self) -> list[FileRecord]:
        rows = self.conn.execute("SELECT id, path, title, episode, fingerprint, duration, status, done_until "
                                 "FROM files ORDER BY path").fetchall()
        return [FileRecord(*r) for r in rows]

    def file_by_path(self, path: str) -> FileRecord | None:
        row = self.conn.execute("SELECT id, path, title, episode, fingerprint, duration, status, done_until "
                                "FROM files WHERE path=?", (path,)).fetchone()
        return FileRecord(*row) if row else None

    def file_by_id(self, file_id: int) -> FileRecord | None:
        row = self.conn.execute("SELECT id, path, title, episode, fingerprint, duration, status, done_until "
                                "FROM files WHERE id=?", (file_id,)).fetchone()
        return FileRecord(*row) if row else None

    def start_file(self, path: str, title: str, episode: float | None, fingerprint: str,
                   duration: float | None) -> FileRecord:
        with self.conn:
            self.conn.execute("INSERT INTO files(path, title, episode, fingerprint, duration, status) "
                              "VALUES (?, ?, ?, ?, ?, 'partial')", (path, title, episode, fingerprint, duration))
        return self.file_by_path(path)

    def set_episode(self, file_id: int, episode: float | None) -> None:
        with self.conn:
            self.conn.execute("UPDATE files SET episode=? WHERE id=?", (episode, file_id))

    def delete_file(self, file_id: int) -> list[int]:
        """Remove a file and its entries in one transaction; returns the entry ids that went."""
        with self.conn:
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('next_entry_id', ?)",
                              (json.dumps(self.next_entry_id()),))  # the deleted ids stay used
            ids = [r[0] for r in self.conn.execute("SELECT id FROM entries WHERE file_id=?", (file_id,))]
            self.conn.execute("DELETE FROM entries WHERE file_id=?", (file_id,))
            self.conn.execute("DELETE FROM files WHERE id=?", (file_id,))
        return ids

    def has_title(self, title: str) -> bool:
        return self.conn.execute("SELECT 1 FROM files WHERE title=? LIMIT 1", (title,)).fetchone() is not None

    def titles(self) -> list[dict]:
        rows = self.conn.execute(
            "SELECT f.title, COUNT(f.id), SUM((SELECT COUNT(*) FROM entries e WHERE e.file_id = f.id)), "
            "COALESCE(SUM(f.duration), 0) FROM files f GROUP BY f.title ORDER BY f.title").fetchall()
        return [{"title": t, "files": n, "entries": e, "seconds": d} for t, n, e, d in rows]

    # --- entries ------------------------------------------------------------------------
    def next_entry_id(self) -> int:
        """Ids are never reused: a deleted file's ids may still be in a saved vector index or a log
        chunk, where a new entry under the same id would inherit the old frame's vector."""
        top = int(self.conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM entries").fetchone()[0])
        return max(top, int(self.get_meta("next_entry_id", 1)))

    def commit_entries(self, file_id: int, rows: Iterable[tuple[int, float, float, float, bytes | None]],
                       done_until: float, finished: bool, extra_meta: dict | None = None) -> None:
        """One checkpoint: entries, the file's progress and any meta land together or not at all."""
        rows = list(rows)
        with self.conn:
            self.conn.executemany("INSERT INTO entries(id, file_id, t_from, t_at, t_to, thumb) VALUES (?, ?, ?, ?, ?, ?)",
                                  [(i, file_id, a, b, c, th) for i, a, b, c, th in rows])
            if rows:
                self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('next_entry_id', ?)",
                                  (json.dumps(self.next_entry_id()),))
            self.conn.execute("UPDATE files SET done_until=?, status=? WHERE id=?",
                              (done_until, "done" if finished else "partial", file_id))
            for key, value in (extra_meta or {}).items():
                self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, json.dumps(value)))

    def set_duration(self, file_id: int, seconds: float) -> None:
        """A file's length once decoded, for one whose header did not say (stored as 0 until then)."""
        with self.conn:
            self.conn.execute("UPDATE files SET duration=? WHERE id=?", (float(seconds), file_id))

    def entries(self, ids: Iterable[int], with_thumbs: bool = False) -> dict[int, EntryRecord]:
        ids = [int(i) for i in ids if int(i) >= 0]
        out: dict[int, EntryRecord] = {}
        thumb = "e.thumb" if with_thumbs else "NULL"
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            q = (f"SELECT e.id, e.file_id, e.t_from, e.t_at, e.t_to, f.path, f.title, f.episode, {thumb} "
                 f"FROM entries e JOIN files f ON f.id = e.file_id WHERE e.id IN ({','.join('?' * len(chunk))})")
            for row in self.conn.execute(q, chunk):
                out[row[0]] = EntryRecord(*row)
        return out

    def window(self, file_id: int, t0: float, t1: float) -> list[tuple[int, float, float, float, bytes | None]]:
        """Entries of one file overlapping [t0, t1]: (id, from, at, to, thumbnail)."""
        return self.conn.execute("SELECT id, t_from, t_at, t_to, thumb FROM entries WHERE file_id=? AND t_to>=? "
                                 "AND t_from<=? ORDER BY t_from", (file_id, t0, t1)).fetchall()

    def title_entry_ids(self, title: str) -> np.ndarray:
        """The ids of every entry of one title."""
        return np.fromiter((r[0] for r in self.conn.execute(
            "SELECT e.id FROM entries e JOIN files f ON f.id = e.file_id WHERE f.title = ?", (title,))), np.int64)

    def entry_ids(self) -> Iterator[int]:
        for (i,) in self.conn.execute("SELECT id FROM entries"):
            yield i

    def count_entries(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0])


class _ClosedConnection:
    """Stands in for the connection of a closed store: any use is one line naming the index."""

    def __init__(self, path):
        self.path = path

    def __getattr__(self, name):
        raise AnimeidError(f"{Path(self.path).parent}: this index was closed; load it again (Index.load)")

    def close(self) -> None:   # closing twice is harmless
        pass

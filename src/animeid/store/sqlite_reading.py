"""Opening a store's SQLite file only to read it, also where it cannot be written: a library on a
read-only mount or disk, or a full disk.

The stores run in WAL mode, in which even a read-only connection creates the `-shm` side file;
where it cannot, SQLite says "unable to open database file" or "disk I/O error", and an intact index
was reported damaged, with advice to rebuild it. Opened as immutable, SQLite needs no side file.
Immutable skips the write-ahead log, so it is used only when no log holds unmerged writes."""
from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from animeid.errors import AnimeidError


def connect_for_reading(path: Path) -> sqlite3.Connection:
    uri = f"file:{quote(str(path))}?mode=ro"   # quoted: a '?' or '#' in a folder name ended the path
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError as exc:
        conn.close()
        if not _unwritable_side_file(exc):
            raise
        first = exc
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise AnimeidError(f"{path}: cannot be opened ({first}): its folder cannot be written (read-only, or "
                           f"the disk is full) and {wal.name} holds writes not merged yet; copy the folder "
                           "to a writable disk with free space and open it there")
    conn = sqlite3.connect(f"{uri}&immutable=1", uri=True, check_same_thread=False)
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return conn


def _unwritable_side_file(exc: sqlite3.OperationalError) -> bool:
    message = str(exc).lower()
    return any(m in message for m in ("unable to open database file", "disk i/o error", "readonly",
                                      "read-only", "disk is full"))

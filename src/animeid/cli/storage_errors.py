"""A full or read-only disk met while writing an index or gallery, said as the one line every
other user error gets. It reaches the command from SQLite, NumPy or FAISS, each in its own words
(`database or disk is full`, `[Errno 28]`, a C++ signature ending in "No space left on device"),
and printed a traceback; what is committed stays, so the same command finishes the work later."""
from __future__ import annotations

import errno
import sqlite3

_NO_SPACE = ("no space left on device", "database or disk is full", "disk quota exceeded")
_READ_ONLY = ("read-only file system", "attempt to write a readonly database")


def storage_problem(exc: BaseException) -> str | None:
    """The line to print for `exc` when it is a full or read-only disk, else None (a real bug)."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        kind = "no space left on the device"
    elif isinstance(exc, OSError) and exc.errno == errno.EROFS:
        kind = "the disk is read-only"
    elif isinstance(exc, (sqlite3.OperationalError, RuntimeError, OSError)):
        text = str(exc).lower()
        if any(m in text for m in _NO_SPACE):
            kind = "no space left on the device"
        elif any(m in text for m in _READ_ONLY):
            kind = "the disk is read-only"
        else:
            return None
    else:
        return None
    where = getattr(exc, "filename", None)
    shown = f" writing {where}" if where else ""
    return (f"{kind}{shown}; everything committed before it is kept: make room (or use a writable "
            "disk) and run the same command again")

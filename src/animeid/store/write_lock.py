"""One writer per index or gallery: two runs that each looked before either stored would store the
same file or image twice. An exclusive `flock` on a `.lock` file in the folder; the kernel drops it
when the process dies, so a killed run never leaves a stale lock behind. A second writer is refused
at once rather than left waiting an unknown time."""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from animeid.errors import AnimeidError

LOCK_FILE = ".lock"


def take_write_lock(folder: Path, what: str) -> int:
    """The descriptor holding the lock on `folder` (closing it releases the lock); `what` names the
    folder's kind in the messages ("index", "gallery")."""
    try:
        fd = os.open(Path(folder) / LOCK_FILE, os.O_CREAT | os.O_RDWR, 0o644)
    except OSError as exc:
        raise AnimeidError(f"{folder}: cannot write to this {what} ({exc.strerror or exc})") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise AnimeidError(f"{folder}: another animeid process is writing this {what}; "
                           "try again when it has finished") from None
    return fd


def being_written(folder: Path) -> bool:
    """Whether another process holds `folder`'s write lock now (a reader that finds a change not yet
    finished can then tell a run under way from one that was killed)."""
    try:
        fd = os.open(Path(folder) / LOCK_FILE, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)

"""A full disk met while writing an index or a gallery is one `animeid: error:` line, exit 2, with
what is kept and what to do, not a traceback from SQLite, NumPy or FAISS; and the same command
finishes the work once there is room."""
from __future__ import annotations

import errno
import shutil
import sqlite3
import subprocess

import pytest

from animeid.cli.main import main
from animeid.cli.storage_errors import storage_problem


@pytest.mark.parametrize("exc, says", [
    (OSError(errno.ENOSPC, "No space left on device", "db/wal/00000003.tmp.npz"),
     "no space left on the device writing db/wal/00000003.tmp.npz; everything committed before it is kept"),
    (sqlite3.OperationalError("database or disk is full"), "no space left on the device; everything"),
    (RuntimeError("Error in void faiss::write_index(const Index*, const char*, int) at index_write.cpp:499: "
                  "Error: 'f' failed: could not open g/vectors.tmp/index.faiss for writing: No space left on "
                  "device"), "no space left on the device; everything"),
    (OSError(errno.EROFS, "Read-only file system", "db/meta.sqlite"), "the disk is read-only writing db/meta.sqlite"),
    (sqlite3.OperationalError("attempt to write a readonly database"), "the disk is read-only; everything"),
])
def test_disk_problems_are_named(exc, says):
    assert says in storage_problem(exc)


@pytest.mark.parametrize("exc", [OSError(errno.ENOENT, "No such file"), RuntimeError("index out of range"),
                                 sqlite3.OperationalError("no such table: items"), ValueError("disk is full")])
def test_anything_else_stays_a_bug_with_its_traceback(exc):
    assert storage_problem(exc) is None


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB file system of its own (a tmpfs), so a full disk is real, also for root."""
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("mounting a tmpfs is not permitted here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _fill(folder, leave: int) -> None:
    """Take all the free space of `folder`'s file system but `leave` bytes."""
    free = shutil.disk_usage(folder).free
    with open(folder / "ballast", "wb") as f:
        f.write(b"\0" * max(0, free - leave))


def test_indexing_onto_a_full_disk_is_one_line_and_a_rerun_finishes(small_disk, scene_library, capsys):
    db = small_disk / "db"
    _fill(small_disk, leave=120_000)
    code = main(["index", str(scene_library), "--db", str(db), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("animeid: error: no space left on the device") and err.count("\n") == 1, err
    assert "run the same command again" in err
    (small_disk / "ballast").unlink()
    assert main(["index", str(scene_library), "--db", str(db), "--no-progress"]) == 0
    assert main(["info", "--db", str(db)]) == 0
    info = capsys.readouterr().out
    assert '"files": 3' in info

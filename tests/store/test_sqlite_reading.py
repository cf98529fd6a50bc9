"""An intact index or gallery on a read-only mount (or a full disk) is searched, not reported
damaged: in WAL mode even a reading connection creates a `-shm` side file, and where it could not,
the index was called damaged with advice to rebuild it."""
from __future__ import annotations

import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from animeid.errors import AnimeidError
from animeid.store.sqlite_reading import connect_for_reading


@contextmanager
def read_only_mount(source: Path, target: Path):
    """`source` seen read-only at `target` (a bind mount: the file system refuses every write, as a
    read-only disk or share does, also for root)."""
    target.mkdir()
    if subprocess.run(["mount", "--bind", str(source), str(target)], capture_output=True).returncode:
        pytest.skip("bind mounts are not permitted here")
    try:
        if subprocess.run(["mount", "-o", "remount,ro,bind", str(target)], capture_output=True).returncode:
            pytest.skip("read-only remounts are not permitted here")
        yield target
    finally:
        # lazily: a memory-mapped vector index still held by a collected-later object keeps the
        # mount busy, and a plain umount would leave it behind the test
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


def _without_side_files(folder: Path) -> None:
    """As a finished `index` or `enroll` leaves a store once its last connection closed."""
    for side in list(folder.glob("*-shm")) + list(folder.glob("*-wal")):
        side.unlink()


def test_an_index_on_a_read_only_mount_is_searched(scene_db, scene_library, tmp_path):
    from animeid.media.video import frames_at
    from animeid.scenes.index import Index

    copy = tmp_path / "src" / "idx"
    shutil.copytree(scene_db, copy)
    _without_side_files(copy)
    frame = frames_at(scene_library / "Alpha" / "Alpha - 02.mp4", [2.3])[0]
    with Index.load(copy) as index:
        expected = index.search(frame, k=2)
    _without_side_files(copy)
    with read_only_mount(tmp_path / "src", tmp_path / "ro") as ro:
        with Index.load(ro / "idx") as index:
            assert index.search(frame, k=2) == expected
            assert index.info()["entries"] > 0


def test_a_gallery_on_a_read_only_mount_is_identified_and_refuses_enrolling(tmp_path, rng):
    from animeid.recognize.config import FeatureRecipe, GalleryCfg
    from animeid.recognize.recognizer import Recognizer

    def shots(rgb, n):
        return [np.clip(np.array(rgb) + rng.normal(0, 20, (32, 32, 3)), 0, 255).astype(np.uint8) for _ in range(n)]

    cfg = GalleryCfg(recipe=FeatureRecipe(embedders=("color-layout",), views=("base",)), neighbours=8)
    db = tmp_path / "src" / "gal"
    with Recognizer.create(db, "character", cfg=cfg) as rec:
        rec.enroll("red", shots((220, 30, 30), 4), refit=False)
        rec.enroll("blue", shots((30, 40, 220), 4))
        query = shots((30, 40, 220), 1)[0]
        expected = rec.identify(query)
    _without_side_files(db)
    with read_only_mount(tmp_path / "src", tmp_path / "ro") as ro:
        with Recognizer.load(ro / "gal") as rec:
            assert rec.identify(query) == expected
        with pytest.raises(AnimeidError, match="cannot write to this gallery \\(Read-only file system\\)"):
            Recognizer.load(ro / "gal", write=True)


def test_unmerged_writes_on_a_read_only_mount_are_named_not_skipped(tmp_path):
    """Opened immutable, SQLite would ignore the write-ahead log: rows committed there would
    silently be missing, so that case is refused with what to do."""
    import sqlite3

    src = tmp_path / "src"
    src.mkdir()
    db = src / "s.sqlite"
    writer = sqlite3.connect(db)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE t(x)")
    writer.execute("INSERT INTO t VALUES (1)")
    writer.commit()
    shutil.copy(db, tmp_path / "keep.sqlite")
    shutil.copy(f"{db}-wal", tmp_path / "keep.sqlite-wal")
    writer.close()   # the last connection merges the log and removes it: put the unmerged state back
    shutil.copy(tmp_path / "keep.sqlite", db)
    shutil.copy(tmp_path / "keep.sqlite-wal", f"{db}-wal")
    assert Path(f"{db}-wal").stat().st_size > 0 and not Path(f"{db}-shm").exists()
    with read_only_mount(src, tmp_path / "ro") as ro:
        with pytest.raises(AnimeidError, match="holds writes not merged yet; copy the folder"):
            connect_for_reading(ro / "s.sqlite")


def test_a_path_with_uri_characters_opens(tmp_path):
    """The URI path is quoted: a '?' or '#' in a folder name ended it."""
    import sqlite3

    folder = tmp_path / "odd?name#1 %"
    folder.mkdir()
    with sqlite3.connect(folder / "s.sqlite") as conn:
        conn.execute("CREATE TABLE t(x)")
        conn.execute("INSERT INTO t VALUES (7)")
    conn.close()
    reader = connect_for_reading(folder / "s.sqlite")
    assert reader.execute("SELECT x FROM t").fetchall() == [(7,)]
    reader.close()

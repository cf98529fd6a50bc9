"""What a re-run of `animeid index` rewrites on a large library: a run that changes nothing
rewrites no vectors and commits nothing a server would reload for, deleted files' vectors go in
one pass, and an index being built for the first time is not taken for one from before."""
from __future__ import annotations

import fcntl
import os
import shutil

from animeid.cli.main import main
from animeid.config import IndexCfg
from animeid.scenes import indexer
from animeid.scenes.index import Index
from animeid.scenes.indexer import counts_from_first_frames, index_library
from animeid.store.vectors import INDEX_FILE, VectorIndex
from tests.videos import write_clip


def test_a_run_that_changes_nothing_rewrites_nothing(scene_library, scene_db, tmp_path):
    db = tmp_path / "db"
    shutil.copytree(scene_db, db)
    before = (db / INDEX_FILE).stat().st_ino
    with Index.load(db) as served:   # a server holding the index
        report = index_library(scene_library, db, IndexCfg(), progress=False)
        assert len(report.unchanged) == 3 and not report.added and not report.removed
        # rewriting every vector cost seconds at 200k entries; the commit made a server reload it all
        assert (db / INDEX_FILE).stat().st_ino == before
        assert not served.changed_on_disk()
    with Index.load(db) as index:
        assert index.totals()["vectors"] == index.totals()["entries"] > 0


def test_deleted_files_vectors_go_in_one_pass(scene_library, tmp_path, monkeypatch):
    lib = tmp_path / "lib"
    shutil.copytree(scene_library, lib)
    db = tmp_path / "db"
    index_library(lib, db, IndexCfg(), progress=False)
    with Index.load(db) as index:
        kept = {f.id for f in index.store.files() if f.path.startswith("Alpha/")}
    passes = []
    remove = VectorIndex.remove
    monkeypatch.setattr(VectorIndex, "remove", lambda self, ids: passes.append(1) or remove(self, ids))
    (lib / "Alpha" / "Alpha - 01.mp4").unlink()
    (lib / "Alpha" / "Alpha - 02.mp4").rename(lib / "Alpha - 02.mp4")   # out of the library
    report = index_library(lib, db, IndexCfg(), progress=False)
    assert sorted(report.removed) == ["Alpha/Alpha - 01.mp4", "Alpha/Alpha - 02.mp4"]
    assert len(passes) == 1   # one pass over a Flat index per file took minutes for hundreds
    monkeypatch.undo()
    with Index.load(db) as index:
        assert not kept & {f.id for f in index.store.files()}
        assert set(index.vectors.ids().tolist()) == set(index.store.entry_ids()) != set()


def test_an_index_built_for_the_first_time_is_not_taken_for_an_old_one(tmp_path, monkeypatch):
    write_clip(tmp_path / "lib" / "Alpha" / "Alpha - 01.mp4", [1, 2])
    db = tmp_path / "db"
    run_jobs = indexer._run_jobs

    def killed_after_its_checkpoints(*args):
        run_jobs(*args)
        raise KeyboardInterrupt   # what a search beside a first build sees, or after it was stopped

    monkeypatch.setattr(indexer, "_run_jobs", killed_after_its_checkpoints)
    try:
        index_library(tmp_path / "lib", db, IndexCfg(), progress=False)
    except KeyboardInterrupt:
        pass
    with Index.load(db) as index:
        assert index.store.count_entries() > 0
        assert not counts_from_first_frames(index)   # searches said "re-run index to re-time it"


def test_an_index_being_created_by_another_run_is_said_to_be_busy(tmp_path, capsys):
    write_clip(tmp_path / "lib" / "Alpha" / "Alpha - 01.mp4", [1, 2])
    db = tmp_path / "db"
    db.mkdir()
    # another run has just created the folder and taken its lock, and not yet written index.json
    fd = os.open(db / ".lock", os.O_CREAT | os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert main(["index", str(tmp_path / "lib"), "--db", str(db), "--no-progress"]) == 2
        assert "another animeid process is writing this index" in capsys.readouterr().err
    finally:
        os.close(fd)
    # a lock file left alone (that run failed) holds nothing: the folder is taken
    assert main(["index", str(tmp_path / "lib"), "--db", str(db), "--no-progress"]) == 0

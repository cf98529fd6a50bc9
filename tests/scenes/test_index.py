"""Indexing and searching generated clips end to end: incremental, resumable, refusing bad input."""
from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from animeid.config import IndexCfg
from animeid.errors import AnimeidError, IncompatibleIndex
from animeid.evaluate.perturbations import VARIANTS
from animeid.media.video import frames_at
from animeid.scenes.index import Index
from animeid.scenes.indexer import index_library
from tests.videos import write_clip


@pytest.fixture(scope="module")
def library(scene_library) -> Path:
    return scene_library


@pytest.fixture(scope="module")
def built(scene_db) -> Path:
    return scene_db


def _entries(db: Path) -> list[tuple]:
    index = Index.load(db)
    rows = index.store.conn.execute("SELECT f.path, e.t_from, e.t_to FROM entries e JOIN files f ON f.id=e.file_id "
                                    "ORDER BY f.path, e.t_from").fetchall()
    return rows


def test_metadata_and_config_are_stored(built):
    index = Index.load(built)
    info = index.info()
    assert info["embedder"] == "efficientnet-lite0" and info["factory"] == "Flat"
    assert info["entries"] == info["vectors"] > 0
    files = {f.path: f for f in index.store.files()}
    assert files["Alpha/Alpha - 01.mp4"].episode == 1 and files["Alpha/Alpha - 01.mp4"].title == "Alpha"
    assert files["Beta/[Grp] Beta S01E03 [720p].mkv"].episode == 3
    assert all(f.status == "done" for f in files.values())
    config = json.loads((built / "index.json").read_text())
    assert config["embedder"]["name"] == "efficientnet-lite0" and config["factory"] == "Flat"
    # merged entries: spans are ordered, never longer than the configured maximum
    for _, t0, t1 in _entries(built):
        assert 0 <= t1 - t0 <= IndexCfg().merge_max_span_s + 1e-6


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_perturbed_never_sampled_frames_are_found(built, library, variant):
    index = Index.load(built)
    rng = np.random.default_rng(1)
    clip = library / "Alpha" / "Alpha - 02.mp4"
    times = [0.73, 2.77, 4.6]   # 2 fps samples fall on multiples of 0.5 s
    for t, frame in zip(times, frames_at(clip, times)):
        hits = index.search(VARIANTS[variant](frame, rng), k=3)
        assert hits[0].title == "Alpha" and hits[0].file == "Alpha/Alpha - 02.mp4"
        assert hits[0].episode == 2
        assert abs(hits[0].at - t) <= 1.0 or hits[0].from_ - 1.0 <= t <= hits[0].to + 1.0


def test_title_filter_and_k(built, library):
    index = Index.load(built)
    frame = frames_at(library / "Alpha" / "Alpha - 01.mp4", [1.2])[0]
    hits = index.search(frame, k=2, title="Beta")
    assert hits and all(h.title == "Beta" for h in hits) and len(hits) <= 2


def test_incremental_add_change_remove(library, tmp_path):
    lib = tmp_path / "lib"
    shutil.copytree(library, lib)
    db = tmp_path / "db"
    index_library(lib, db, IndexCfg(), progress=False)
    before = _entries(db)
    again = index_library(lib, db, IndexCfg(), progress=False)
    assert again.added == [] and len(again.unchanged) == 3 and _entries(db) == before
    write_clip(lib / "Beta" / "Beta - 04.mp4", [11, 12])
    (lib / "Alpha" / "Alpha - 02.mp4").unlink()
    write_clip(lib / "Alpha" / "Alpha - 01.mp4", [13, 14])  # replaced with other content
    report = index_library(lib, db, IndexCfg(), progress=False)
    assert sorted(report.added) == ["Alpha/Alpha - 01.mp4", "Beta/Beta - 04.mp4"]
    assert report.removed == ["Alpha/Alpha - 02.mp4"]
    index = Index.load(db)
    assert {f.path for f in index.store.files()} == {"Alpha/Alpha - 01.mp4", "Beta/Beta - 04.mp4",
                                                      "Beta/[Grp] Beta S01E03 [720p].mkv"}
    assert index.vectors.ntotal == index.store.count_entries()
    assert set(index.vectors.ids().tolist()) == set(index.store.entry_ids())


def test_an_unchanged_file_gets_the_episode_its_name_reads_as_now(tmp_path):
    # an index built when `Area 88/Area 88.mp4` was read as episode 88: a re-run corrects the
    # stored episode without decoding the file again, and says so
    lib, db = tmp_path / "lib", tmp_path / "db"
    write_clip(lib / "Area 88" / "Area 88.mp4", [1, 2])
    index_library(lib, db, IndexCfg(), progress=False)
    with Index.load(db) as index:
        assert index.store.file_by_path("Area 88/Area 88.mp4").episode is None
    with sqlite3.connect(db / "meta.sqlite") as conn:
        conn.execute("UPDATE files SET episode=88")
    conn.close()
    entries = _entries(db)
    report = index_library(lib, db, IndexCfg(), progress=False)
    assert report.unchanged == ["Area 88/Area 88.mp4"] and report.added == [] and report.frames == 0
    assert report.warnings == ["Area 88/Area 88.mp4: episode now none (was 88)"]
    with Index.load(db) as index:
        assert index.store.file_by_path("Area 88/Area 88.mp4").episode is None
    assert _entries(db) == entries
    assert index_library(lib, db, IndexCfg(), progress=False).warnings == []


def test_a_changed_file_that_no_longer_reads_keeps_its_entries(library, tmp_path):
    """A video being copied over, or damaged, was dropped from the index before its new version was
    read, and the report listed it as failed but not as removed."""
    lib = tmp_path / "lib"
    shutil.copytree(library, lib)
    db = tmp_path / "db"
    index_library(lib, db, IndexCfg(), progress=False)
    before = _entries(db)
    video = lib / "Alpha" / "Alpha - 02.mp4"
    video.write_bytes(video.read_bytes()[:200])    # truncated: it no longer probes
    report = index_library(lib, db, IndexCfg(), progress=False)
    assert list(report.failed) == ["Alpha/Alpha - 02.mp4"] and report.removed == [] and report.added == []
    assert _entries(db) == before
    write_clip(video, [13, 14])                     # the copy finished: its new content replaces the old
    report = index_library(lib, db, IndexCfg(), progress=False)
    assert report.added == ["Alpha/Alpha - 02.mp4"] and not report.failed


def test_other_embedder_is_refused_and_index_kept(built, library, tmp_path):
    db = tmp_path / "copy"
    shutil.copytree(built, db)
    before = _entries(db)
    with pytest.raises(IncompatibleIndex, match="built with embedder 'efficientnet-lite0'"):
        index_library(library, db, replace(IndexCfg(), embedder="color-layout"), progress=False)
    assert _entries(db) == before


def test_bad_library_inputs(tmp_path):
    with pytest.raises(AnimeidError, match="no such library"):
        index_library(tmp_path / "missing", tmp_path / "db", IndexCfg(), progress=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(AnimeidError, match="empty library"):
        index_library(tmp_path / "empty", tmp_path / "db", IndexCfg(), progress=False)
    (tmp_path / "notempty").mkdir()
    (tmp_path / "notempty" / "precious.txt").write_text("keep me")
    (tmp_path / "lib" / "T").mkdir(parents=True)
    write_clip(tmp_path / "lib" / "T" / "T - 01.mp4", [1])
    with pytest.raises(AnimeidError, match="not an animeid index"):
        index_library(tmp_path / "lib", tmp_path / "notempty", IndexCfg(), progress=False)
    assert (tmp_path / "notempty" / "precious.txt").read_text() == "keep me"


def test_corrupt_videos_are_reported_and_good_ones_kept(library, tmp_path):
    lib = tmp_path / "lib"
    shutil.copytree(library, lib)
    (lib / "Beta" / "zero - 01.mp4").write_bytes(b"")
    (lib / "Beta" / "text - 02.mkv").write_text("not a video at all")
    good = (lib / "Alpha" / "Alpha - 01.mp4").read_bytes()
    (lib / "Beta" / "truncated - 03.mp4").write_bytes(good[: len(good) // 3])
    report = index_library(lib, tmp_path / "db", IndexCfg(), progress=False)
    assert "Beta/zero - 01.mp4" in report.failed and "empty file" in report.failed["Beta/zero - 01.mp4"]
    assert "Beta/text - 02.mkv" in report.failed
    index = Index.load(tmp_path / "db")
    paths = {f.path for f in index.store.files() if f.status == "done"}
    assert {"Alpha/Alpha - 01.mp4", "Alpha/Alpha - 02.mp4", "Beta/[Grp] Beta S01E03 [720p].mkv"} <= paths


def test_kill_minus_9_then_resume_has_no_duplicates_or_gaps(library, tmp_path):
    """A run killed mid-way resumes from its checkpoints and ends equal to an uninterrupted run."""
    lib = tmp_path / "lib"
    write_clip(lib / "Long" / "Long - 01.mp4", list(range(20, 40)), seconds_per_scene=2.0)
    reference = tmp_path / "ref"
    index_library(lib, reference, IndexCfg(), progress=False)
    db = tmp_path / "db"
    code = ("import sys; from dataclasses import replace; from animeid.config import IndexCfg;"
            "from animeid.scenes.indexer import index_library;"
            f"index_library({str(lib)!r}, {str(db)!r}, replace(IndexCfg(), checkpoint_seconds=0.0, batch_size=4),"
            " progress=False)")
    proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "ANIMEID_THREADS": "1"})
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if (db / "meta.sqlite").exists():
            try:
                if Index.load(db).store.count_entries() >= 3:
                    break
            except Exception:
                pass
        time.sleep(0.05)
    assert proc.poll() is None, "the indexer finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = Index.load(db)
    assert 0 < partial.store.count_entries()
    assert partial.store.files()[0].status == "partial"
    report = index_library(lib, db, IndexCfg(), progress=False)
    assert report.resumed == ["Long/Long - 01.mp4"]
    rows = _entries(db)
    starts = [r[1] for r in rows]
    assert len(starts) == len(set(starts)), "duplicate entries after resume"
    assert all(b[1] > a[2] for a, b in zip(rows, rows[1:])), "overlapping entries after resume"
    ref_rows = _entries(reference)
    assert abs(rows[-1][2] - ref_rows[-1][2]) <= 0.5      # covers the whole clip
    index = Index.load(db)
    assert set(index.vectors.ids().tolist()) == set(index.store.entry_ids())
    frame = frames_at(lib / "Long" / "Long - 01.mp4", [33.3])[0]
    assert abs(index.search(frame, k=1)[0].at - 33.3) <= 1.0


def test_compressed_factory_is_stored_and_searchable(library, tmp_path):
    db = tmp_path / "ivf"
    index_library(library, db, replace(IndexCfg(), factory="IVF2,Flat"), progress=False)
    index = Index.load(db)
    assert index.factory == "IVF2,Flat" and json.loads((db / "vectors.json").read_text())["factory"] == "IVF2,Flat"
    assert index.vectors.ntotal == index.store.count_entries()
    frame = frames_at(library / "Alpha" / "Alpha - 01.mp4", [5.3])[0]
    assert index.search(frame, k=1)[0].file == "Alpha/Alpha - 01.mp4"


def test_untrainable_factory_is_a_clear_error(library, tmp_path):
    with pytest.raises(IncompatibleIndex, match="cannot be trained") as exc:
        index_library(library, tmp_path / "pq", replace(IndexCfg(), factory="IVF4096,PQ8"), progress=False)
    assert "Number of training points" in str(exc.value) and "faiss::" not in str(exc.value)
    # metadata landed; vectors wait in the log, and the index still opens
    assert Index.load(tmp_path / "pq").store.count_entries() > 0


def test_titles_summary_counts(built):
    titles = {t["title"]: t for t in Index.load(built).titles()}
    assert titles["Alpha"]["files"] == 2 and titles["Beta"]["files"] == 1
    assert abs(titles["Alpha"]["seconds"] - 14.0) < 0.5     # 8 s + 6 s of generated video
    assert titles["Alpha"]["entries"] + titles["Beta"]["entries"] == Index.load(built).store.count_entries()

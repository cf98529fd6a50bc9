"""A library split into shards, built by each strategy, searched as one index: it must answer as
the unsharded index does."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from animeid.config import IndexCfg
from animeid.distribute.index_shards import index_shards
from animeid.distribute.process_pool_strategy import ProcessPoolStrategy
from animeid.distribute.shard_failure import ShardsFailed
from animeid.distribute.shard_ids import qualify, split
from animeid.distribute.shard_plan import shard_folder, shard_of
from animeid.distribute.sharded_index import ShardedIndex, open_index
from animeid.errors import AnimeidError, IncompatibleIndex
from animeid.media.video import frames_at
from animeid.scenes.index import Index
from animeid.scenes.indexer import index_library

FILES = ["Alpha/Alpha - 01.mp4", "Alpha/Alpha - 02.mp4", "Beta/[Grp] Beta S01E03 [720p].mkv"]


@pytest.fixture(scope="module")
def library(scene_library) -> Path:
    return scene_library


@pytest.fixture(scope="module")
def sharded(sharded_scene_db) -> Path:
    return sharded_scene_db


def _files(db: Path) -> set[str]:
    return {f.path for f in Index.load(db).store.files()}


def test_every_file_lands_in_exactly_its_shard(sharded):
    per_shard = [_files(shard_folder(sharded, i)) for i in range(2)]
    assert per_shard[0] | per_shard[1] == set(FILES) and not per_shard[0] & per_shard[1]
    for i, files in enumerate(per_shard):
        assert all(shard_of(f, 2) == i for f in files)


def test_sharded_search_answers_as_the_unsharded_index(library, sharded, scene_db):
    plain, split = Index.load(scene_db), open_index(sharded)
    assert isinstance(split, ShardedIndex)
    for rel, t in [(FILES[0], 3.3), (FILES[1], 1.7), (FILES[2], 4.6)]:
        shot = frames_at(library / rel, [t])[0]
        a, b = plain.search(shot, k=3), split.search(shot, k=3)
        assert b[0].file == a[0].file == rel
        assert b[0].at == pytest.approx(a[0].at) and b[0].similarity == pytest.approx(a[0].similarity)
        # the order inside a file comes from the thumbnail re-ranking, not the raw similarity:
        # merging shards must keep it (only the first scene of each is placed in time, per shard)
        assert [h.file for h in b] == [h.file for h in a]
        assert [h.order_key for h in b] == sorted((h.order_key for h in b), reverse=True)
    info = split.info()
    assert info["shards"] == 2 and info["files"] == 3 and info["missing_shards"] == []
    assert info["entries"] == plain.info()["entries"]
    assert [t["title"] for t in info["titles"]] == ["Alpha", "Beta"]


def test_a_clip_is_placed_alike_by_the_sharded_index(sharded, scene_db, tmp_path):
    from tests.scenes.test_clip_search import write_window

    clip = tmp_path / "window.gif"
    write_window(clip, 13, 21)            # 1.3 s .. 3.3 s of 'Alpha - 02', in shard 1
    a, b = Index.load(scene_db).search_clip(clip, k=2), open_index(sharded).search_clip(clip, k=2)
    assert b.sampled == a.sampled == 5
    assert b.hits[0].scene.file == a.hits[0].scene.file == FILES[1]
    assert b.hits[0].scene.at == pytest.approx(a.hits[0].scene.at) and b.hits[0].frames == a.hits[0].frames


def test_shard_ids_round_trip():
    for shards in (1, 2, 8):
        ids = {qualify(local, shard, shards) for shard in range(shards) for local in (1, 2, 977)}
        assert len(ids) == 3 * shards
        assert all(split(qualify(local, shard, shards), shards) == (shard, local)
                   for shard in range(shards) for local in (1, 2, 977))


def test_hits_carry_library_wide_ids_that_locate_their_shard(library, sharded, scene_db):
    split_index, plain = ShardedIndex.load(sharded), Index.load(scene_db)
    for rel, t in [(FILES[0], 3.3), (FILES[1], 1.7), (FILES[2], 4.6)]:
        hits = split_index.search(frames_at(library / rel, [t])[0], k=5)
        assert len({h.entry_id for h in hits}) == len(hits) and len({h.file for h in hits}) >= 2
        for hit in hits:
            shard, local = split_index.locate(hit.entry_id)
            assert shard.folder == shard_folder(sharded, shard_of(hit.file, 2))
            rec = shard.store.entries([local])[local]
            assert rec.path == hit.file and shard.store.file_by_id(rec.file_id).path == hit.file
            assert split(hit.file_id, 2) == (shard_of(hit.file, 2), rec.file_id)
    assert split_index.locate(-1) is None
    assert split_index.embedder_cfg == plain.embedder_cfg
    assert split_index.counts() == {**plain.counts(), "shards": 2, "missing_shards": [], "untrained_shards": []}
    assert plain.locate(7) == (plain, 7)


def test_process_pool_builds_the_same_shards(library, sharded, tmp_path):
    db = tmp_path / "pool"
    out = index_shards(library, db, IndexCfg(), shards=2, strategy=ProcessPoolStrategy(2))
    assert [r.entries for r in out] == [Index.load(shard_folder(sharded, i)).info()["entries"] for i in range(2)]
    assert [_files(shard_folder(db, i)) for i in range(2)] == [_files(shard_folder(sharded, i)) for i in range(2)]


def test_one_machine_builds_one_shard_and_search_uses_what_exists(library, tmp_path):
    db = tmp_path / "partial"
    index_shards(library, db, IndexCfg(), shards=3, only=1)
    split = ShardedIndex.load(db)
    assert split.missing == [0, 2]
    assert split.counts()["shards"] == 3 and split.counts()["missing_shards"] == [0, 2]
    assert split.locate(qualify(1, 0, 3)) is None and split.locate(qualify(1, 2, 3)) is None
    assert split.locate(qualify(5, 1, 3)) == (split.shards[0], 5)
    assert _files(shard_folder(db, 1)) == {f for f in FILES if shard_of(f, 3) == 1}
    shot = tmp_path / "shot.png"
    from PIL import Image

    Image.fromarray(frames_at(library / FILES[0], [1.0])[0]).save(shot)
    r = _cli("search", shot, "--db", db, "--json")
    assert r.returncode == 0, r.stderr
    assert "animeid: note: shard(s) 0, 2 of 3 are not built yet" in r.stderr


def test_a_shard_refuses_to_be_rebuilt_as_another_shard(library, tmp_path):
    db = tmp_path / "one"
    index_library(library, db, IndexCfg(), progress=False, shard=(0, 2))
    before = _files(db)
    with pytest.raises(AnimeidError, match="shard 0/2"):
        index_library(library, db, IndexCfg(), progress=False, shard=(1, 2))
    with pytest.raises(AnimeidError, match="shard 0/2"):
        index_library(library, db, IndexCfg(), progress=False)
    assert _files(db) == before


def test_sharded_folder_without_any_shard_is_an_error(tmp_path):
    (tmp_path / "shards.json").write_text(json.dumps({"shards": 2, "embedder": "efficientnet-lite0"}))
    with pytest.raises(AnimeidError, match="none of its 2 shards"):
        ShardedIndex.load(tmp_path)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "animeid.cli.main", *map(str, args)], capture_output=True, text=True)


def test_cli_shards_then_search(library, tmp_path):
    db = tmp_path / "cli"
    r = _cli("index", library, "--db", db, "--shards", "2", "--no-progress", "--json")
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)) == 2
    shot = tmp_path / "shot.png"
    from PIL import Image

    Image.fromarray(frames_at(library / FILES[2], [2.3])[0]).save(shot)
    r = _cli("search", shot, "--db", db, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["results"][0]["file"] == FILES[2]
    r = _cli("info", "--db", db)
    assert r.returncode == 0 and json.loads(r.stdout)["files"] == 3
    r = _cli("index", library, "--db", db, "--no-progress", "--json")   # a re-run need not repeat --shards
    assert r.returncode == 0, r.stderr
    assert sum(len(report["unchanged"]) for report in json.loads(r.stdout)) == 3


@pytest.mark.parametrize("args, message", [
    (["--shard", "2/2"], "0 <= I < N"),
    (["--shard", "x"], "I/N"),
    (["--shards", "3", "--shard", "0/2"], "contradicts"),
    (["--shards", "0"], "at least 1"),
    (["--shards", "2", "--workers", "99999999999999999999"], "--workers 99999999999999999999: at most 4096"),
])
def test_cli_bad_shard_options(library, tmp_path, args, message):
    r = _cli("index", library, "--db", tmp_path / "bad", *args, "--no-progress")
    assert r.returncode != 0 and message in r.stderr
    assert not (tmp_path / "bad").exists()


def test_one_shard_answers_exactly_as_the_plain_index(library, scene_db, tmp_path):
    """With one shard nothing differs but the merge, so every answer must be identical: a merge
    that re-sorted by raw similarity reordered moments the thumbnail re-ranking had ordered."""
    db = tmp_path / "one"
    index_shards(library, db, IndexCfg(), shards=1)
    plain, one = Index.load(scene_db), open_index(db)
    for rel in FILES:
        for t in (0.6, 1.3, 2.2, 3.1, 4.4):
            shot = frames_at(library / rel, [t])[0]
            a, b = plain.search(shot, k=5), one.search(shot, k=5)
            assert [(h.file, h.at) for h in b] == [(h.file, h.at) for h in a]


def test_a_shard_still_waiting_for_training_does_not_stop_the_others(library, tmp_path, capsys):
    """An IVF shard given too few frames cannot be trained yet; the trained shards still answer."""
    from animeid.cli.main import main
    from PIL import Image

    db = tmp_path / "db"
    # shard 0 holds 24 entries, shard 1 holds 11: 16 lists train the first, not the second
    index_shards(library, db, IndexCfg(factory="IVF16,Flat"), shards=2, only=0)
    with pytest.raises(ShardsFailed, match="shard 1/2: .*cannot be trained"):
        index_shards(library, db, IndexCfg(factory="IVF16,Flat"), shards=2, only=1)
    split_index = open_index(db)
    trained = [n for n in range(2) if n not in split_index.untrained]
    assert split_index.untrained == [1] and trained == [0]
    rel = next(f for f in FILES if shard_of(f, 2) in trained)
    shot = tmp_path / "shot.png"
    Image.fromarray(frames_at(library / rel, [2.3])[0]).save(shot)
    assert split_index.search(shot, k=1)[0].file == rel
    assert main(["search", str(shot), "--db", str(db), "--k", "1"]) == 0
    assert "not searched yet" in capsys.readouterr().err
    assert split_index.counts()["untrained_shards"] == split_index.untrained


def _library_with_a_broken_first_shard(tmp_path) -> Path:
    """A planned 2-shard folder whose shard 0 cannot be built (a file stands where its folder goes)."""
    from animeid.distribute.shard_plan import write_plan

    db = tmp_path / "db"
    write_plan(db, 2, "efficientnet-lite0")
    shard_folder(db, 0).write_text("not a shard")
    return db


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failed_shard_does_not_stop_the_later_ones(library, tmp_path, workers):
    """Until 2026-11-25 the first failed shard raised at once: the later shards were never built
    (or, in parallel, killed) and the built ones' reports were lost."""
    db = _library_with_a_broken_first_shard(tmp_path)
    strategy = ProcessPoolStrategy(workers) if workers > 1 else None
    with pytest.raises(ShardsFailed) as caught:
        index_shards(library, db, IndexCfg(), shards=2, strategy=strategy)
    (failure,) = caught.value.failures
    assert (failure.shard, failure.shards) == (0, 2) and "shard 0/2: " in str(caught.value)
    (report,) = caught.value.reports
    assert sorted(report.added) == sorted(f for f in FILES if shard_of(f, 2) == 1)
    assert _files(shard_folder(db, 1)) == set(report.added)
    assert shard_folder(db, 0).read_text() == "not a shard"  # left as it was


@pytest.mark.parametrize("as_json", [False, True])
def test_cli_reports_the_built_shards_beside_the_failed_one(library, tmp_path, capsys, as_json):
    from animeid.cli.main import main

    db = _library_with_a_broken_first_shard(tmp_path)
    code = main(["index", str(library), "--db", str(db), "--shards", "2", "--no-progress"] + (["--json"] if as_json else []))
    out, err = capsys.readouterr()
    assert code == 1
    assert len([line for line in err.splitlines() if line.startswith("animeid: error: shard 0/2: ")]) == 1
    built = sorted(f for f in FILES if shard_of(f, 2) == 1)
    if as_json:
        report, failure = json.loads(out)
        assert sorted(report["added"]) == built and failure["shard"] == "0/2" and failure["error"]
    else:
        assert f"indexed {len(built)} new" in out


def test_a_shard_copied_into_the_wrong_slot_is_refused(sharded, tmp_path):
    import shutil

    db = tmp_path / "db"
    shutil.copytree(sharded, db)
    shutil.rmtree(shard_folder(db, 1))
    shutil.copytree(shard_folder(db, 0), shard_folder(db, 1))
    with pytest.raises(IncompatibleIndex, match="holds shard 0/2 of a library, not 1/2"):
        ShardedIndex.load(db)


def test_a_shard_with_other_embedder_weights_is_refused(sharded, tmp_path):
    import shutil

    db = tmp_path / "db"
    shutil.copytree(sharded, db)
    config = shard_folder(db, 1) / "index.json"
    data = json.loads(config.read_text())
    data["embedder"]["weights_sha256"] = "0" * 64
    config.write_text(json.dumps(data))
    with pytest.raises(IncompatibleIndex, match="other efficientnet-lite0 settings or weights"):
        ShardedIndex.load(db)


def test_a_shard_whose_saved_vectors_are_gone_is_damaged(sharded, tmp_path):
    import shutil

    db = tmp_path / "db"
    shutil.copytree(sharded, db)
    (shard_folder(db, 1) / "vectors.faiss").unlink()
    with pytest.raises(IncompatibleIndex, match="saved vectors are missing"):
        ShardedIndex.load(db)


def test_shard_options_out_of_range_or_a_file_db(library, tmp_path, capsys):
    from animeid.cli.main import main

    (tmp_path / "afile").write_text("x")
    assert main(["index", str(library), "--db", str(tmp_path / "afile"), "--shards", "2"]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert main(["index", str(library), "--db", str(tmp_path / "db"), "--shards", "100000"]) == 2
    assert "at most" in capsys.readouterr().err and not (tmp_path / "db").exists()


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(c) for c in (task / "children").read_text().split()]
    return out


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_stopping_a_parallel_build_leaves_no_worker_behind(tmp_path, sig):
    """Workers used to outlive a parent killed with SIGTERM (holding their shards' write locks) and
    to print a traceback each on Ctrl-C; with progress bars shown, Ctrl-C also left a
    "leaked semaphore objects" warning (tqdm's process-shared lock in the stopped workers)."""
    import os
    import signal
    import time

    from tests.videos import write_clip

    lib = tmp_path / "lib"
    for title in ("A", "B", "C", "D"):
        write_clip(lib / title / f"{title} - 01.mp4", list(range(30)), seconds_per_scene=2.0)
    db = tmp_path / "db"
    proc = subprocess.Popen([sys.executable, "-m", "animeid", "index", str(lib), "--db", str(db), "--shards", "2",
                             "--workers", "2", *(["--no-progress"] if sig == "SIGTERM" else [])],
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "ANIMEID_THREADS": "1"}, start_new_session=True)
    deadline = time.time() + 60
    workers: list[int] = []
    while time.time() < deadline and len(workers) < 2 and proc.poll() is None:
        time.sleep(0.2)
        workers = [c for c in _children(proc.pid)
                   if "multiprocessing" in Path(f"/proc/{c}/cmdline").read_text(errors="replace")
                   and "resource_tracker" not in Path(f"/proc/{c}/cmdline").read_text(errors="replace")]
    assert proc.poll() is None and len(workers) == 2, "the build ended before it could be stopped"
    time.sleep(1.0)
    if sig == "SIGINT":
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
    else:
        proc.send_signal(signal.SIGTERM)   # e.g. a scheduler stopping the job
    _, err = proc.communicate(timeout=60)
    end = time.time() + 10
    while time.time() < end and any(Path(f"/proc/{w}").exists() for w in workers):
        time.sleep(0.2)
    alive = [w for w in workers if Path(f"/proc/{w}").exists()
             and "Z" not in Path(f"/proc/{w}/stat").read_text().split()[2]]
    assert not alive, f"workers still running after {sig}: {alive}"
    assert err.count("Traceback") <= 1
    if sig == "SIGINT":
        assert "animeid: interrupted; everything committed so far is kept" in err
        assert "leaked" not in err and "Traceback" not in err, err[-2000:]


def test_an_empty_shard_is_not_rebuilt_as_a_whole_library(library, tmp_path):
    """With more shards than files some shards hold nothing; `animeid index LIB --db DB/shard-00N`
    (no --shard) made one a whole-library index, and every search and re-index of DB failed."""
    db = tmp_path / "many"
    index_shards(library, db, IndexCfg(), 8)
    empty = next(i for i in range(8) if not _files(shard_folder(db, i)))
    with pytest.raises(AnimeidError, match=f"holds shard {empty}/8 of its library, not all"):
        index_library(library, shard_folder(db, empty), IndexCfg(), progress=False)
    assert not _files(shard_folder(db, empty))
    assert {f for i in range(8) for f in _files(shard_folder(db, i))} == set(FILES)
    assert open_index(db).search(frames_at(library / FILES[0], [2.3])[0], k=1)[0].file == FILES[0]


def test_another_library_folder_is_refused_by_every_shard_before_any_changes(library, tmp_path):
    """Each shard checked the library on its own: shards losing nothing moved to the new folder
    and took its files, the others refused: one index over two libraries."""
    import shutil

    db = tmp_path / "db"
    index_shards(library, db, IndexCfg(), 2)
    before = {i: (_files(shard_folder(db, i)), Index.load(shard_folder(db, i)).store.get_meta("library_root"))
              for i in range(2)}
    other = tmp_path / "other"
    shutil.copytree(library, other)
    lost = [f for f in FILES if shard_of(f, 2) == 0][0]     # shard 0 loses a file, shard 1 nothing
    (other / lost).unlink()
    (other / "Gamma").mkdir()
    shutil.copy(library / FILES[0], other / "Gamma" / "Gamma - 01.mp4")
    with pytest.raises(AnimeidError, match="indexing it would drop them"):
        index_shards(other, db, IndexCfg(), 2)
    after = {i: (_files(shard_folder(db, i)), Index.load(shard_folder(db, i)).store.get_meta("library_root"))
             for i in range(2)}
    assert after == before


def test_a_new_shard_count_or_embedder_says_which_one_changed(library, tmp_path):
    """Both said "cannot add N shards built with 'efficientnet-lite0'", naming the same embedder."""
    from dataclasses import replace

    db = tmp_path / "db"
    index_shards(library, db, IndexCfg(), 2)
    with pytest.raises(AnimeidError, match=r"is split into 2 shards, not 3; the count cannot change \(re-run with "
                                           r"--shards 2"):
        index_shards(library, db, IndexCfg(), 3)
    with pytest.raises(AnimeidError, match="built with embedder 'efficientnet-lite0', not 'color-layout'"):
        index_shards(library, db, replace(IndexCfg(), embedder="color-layout"), 2)

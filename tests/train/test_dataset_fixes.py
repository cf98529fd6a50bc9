"""Audit findings on `dataset frames` and `dataset pairs`: leaks left empty test class folders that
eval/enroll then warned about, and corrupt images went into the pairs CSV without a word."""
import csv
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from make_media import write_image_classes, write_video  # noqa: E402

from animeid.cli.main import main  # noqa: E402
from animeid.train.config import FramesCfg  # noqa: E402
from animeid.train.frames_dataset import extract_frames_dataset  # noqa: E402
from animeid.train.time_split import held_out_episodes  # noqa: E402


def kept_rows(out: Path) -> list[dict]:
    with (out / "manifest.csv").open() as f:
        return [r for r in csv.DictReader(f) if r["status"] == "kept"]


@pytest.mark.parametrize("n,fraction,n_test", [
    (2, 0.2, 0), (3, 0.2, 1), (5, 0.2, 1), (8, 0.2, 2), (1, 0.5, 0), (2, 0.5, 1), (10, 0.0, 0),
])
def test_whole_episodes_from_round_n_times_the_fraction(n, fraction, n_test):
    """docs/training.md: whole episodes go to test once round(n x --test-fraction) >= 1 and one
    episode stays for training (3 episodes at 0.2). Rounding down (5 episodes at 0.2) was tried:
    a title of three short clips then had no test frame at all, as the time split's test chunk
    fell inside the guard band."""
    held = held_out_episodes(n, fraction, np.random.default_rng(0))
    assert len(held) == n_test and held <= set(range(n))


def test_a_title_whose_test_frames_all_leak_leaves_no_empty_folder(tmp_path, capsys):
    """`eval` and `enroll` warned "label folder ... has no images" about test/<Title>/ folders
    emptied by the leak removal."""
    write_video(tmp_path / "v" / "Alpha" / "Alpha - 01.mp4", [7] * 8)  # one shot: every test frame leaks
    for e in range(5):
        write_video(tmp_path / "v" / "Beta" / f"Beta - {e + 1:02d}.mp4", [200 + 10 * e + s for s in range(2)])
    out = tmp_path / "f"
    cfg = FramesCfg(fps=2, test_fraction=0.25, segment_seconds=3.0, guard_seconds=0.5)
    report = extract_frames_dataset(tmp_path / "v", out, cfg, log=lambda s: None)
    assert report["leaks"] >= 1 and report["titles"]["Alpha"]["test"] == 0
    assert (out / "train" / "Alpha").is_dir() and (out / "test" / "Beta").is_dir()
    assert not (out / "test" / "Alpha").exists()
    assert all(any(d.iterdir()) for d in out.rglob("*") if d.is_dir())
    err = capsys.readouterr().err
    assert "animeid: warning: Alpha: no test frame" in err and err.count("\n") == 1


@pytest.fixture()
def pictures(tmp_path):
    root = write_image_classes(tmp_path / "d", classes=2, per_class=3)
    good = (root / "class0" / sorted(p.name for p in (root / "class0").iterdir())[0]).read_bytes()
    (root / "class0" / "bad.png").write_text("not a picture")
    (root / "class1" / "trunc.png").write_bytes(good[: len(good) // 2])
    return root


def test_pairs_skip_unreadable_images_with_a_warning(pictures, tmp_path, capsys):
    """docs/training.md: a corrupt image gives "warning on stderr naming the file, image skipped";
    a text file named .png and a truncated PNG went into the CSV silently."""
    assert main(["dataset", "pairs", str(pictures), "--out", str(tmp_path / "p.csv")]) == 0
    with open(tmp_path / "p.csv") as f:
        rows = list(csv.DictReader(f))
    listed = {r["image_a"] for r in rows} | {r["image_b"] for r in rows}
    assert len(rows) == 6 * 5 // 2 and not any(p.endswith(("bad.png", "trunc.png")) for p in listed)
    err = capsys.readouterr().err
    assert err.count("animeid: warning:") == 2
    assert "bad.png" in err and "trunc.png" in err


def test_pairs_refuse_a_class_left_with_one_readable_image(pictures, tmp_path, capsys):
    for p in [p for p in sorted((pictures / "class1").iterdir()) if p.name != "trunc.png"][:2]:
        p.unlink()  # one readable image and the truncated one: the folder scan still counts two
    assert main(["dataset", "pairs", str(pictures), "--out", str(tmp_path / "p.csv")]) == 2
    err = capsys.readouterr().err
    assert "trunc.png" in err and err.rstrip().splitlines()[-1].startswith("animeid: error: ")
    assert "class1" in err.rstrip().splitlines()[-1]
    assert not (tmp_path / "p.csv").exists()


@pytest.mark.parametrize("seed", range(6))
def test_a_corrupt_video_is_never_the_episode_held_out(tmp_path, seed):
    """Unreadable files counted as episodes: 3 good videos + 2 corrupt ones at 0.2 held out
    round(5 x 0.2) = 1 of all five, so the title often had no test frame at all."""
    for e in range(3):
        write_video(tmp_path / "v" / "Gamma" / f"Gamma - {e + 1:02d}.mp4", [600 + 10 * e + s for s in range(3)])
    for e in (8, 9):
        (tmp_path / "v" / "Gamma" / f"Gamma - {e:02d}.mp4").write_bytes(b"not a video")
    out = tmp_path / "f"
    report = extract_frames_dataset(tmp_path / "v", out, FramesCfg(fps=2, test_fraction=0.2, seed=seed),
                                    log=lambda s: None)
    assert report["titles"]["Gamma"]["test"] > 0
    by_source = {}
    for r in kept_rows(out):
        by_source.setdefault(Path(r["source"]).name, set()).add(r["split"])
    assert sum(s == {"test"} for s in by_source.values()) == 1   # one whole, readable episode

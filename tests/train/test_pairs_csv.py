"""`dataset pairs`: S1's CSV, every pair or balanced, label 0 = same class, 1 = different."""
import csv
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from make_media import write_image_classes  # noqa: E402

from animeid.cli.main import main  # noqa: E402


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = write_image_classes(tmp_path_factory.mktemp("p") / "d", classes=3, per_class=5)
    for p in sorted((root / "class2").iterdir())[:2]:
        p.unlink()  # class sizes 5, 5, 3
    return root


def read(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_all_pairs(data, tmp_path):
    assert main(["dataset", "pairs", str(data), "--out", str(tmp_path / "all.csv")]) == 0
    rows = read(tmp_path / "all.csv")
    assert len(rows) == 13 * 12 // 2  # 78 unordered pairs of 13 images
    same = [r for r in rows if r["label"] == "0"]
    assert len(same) == 10 + 10 + 3  # C(5,2) + C(5,2) + C(3,2)
    for r in rows:
        assert (Path(r["image_a"]).parent == Path(r["image_b"]).parent) == (r["label"] == "0")


def test_balanced_pairs(data, tmp_path, capsys):
    assert main(["dataset", "pairs", str(data), "--out", str(tmp_path / "bal.csv"), "--balanced"]) == 0
    rows = read(tmp_path / "bal.csv")
    labels = [r["label"] for r in rows]
    assert labels.count("0") == labels.count("1") == 23
    assert len({(r["image_a"], r["image_b"]) for r in rows}) == 46
    assert "23 same-class (0) and 23 different-class (1)" in capsys.readouterr().out


def test_missing_folder(tmp_path, capsys):
    assert main(["dataset", "pairs", str(tmp_path / "nope"), "--out", str(tmp_path / "x.csv")]) == 2
    assert "no such dataset folder" in capsys.readouterr().err


def test_an_existing_csv_is_replaced_only_with_force(data, tmp_path, capsys):
    out = tmp_path / "mine.csv"
    out.write_text("my own notes\n")
    assert main(["dataset", "pairs", str(data), "--out", str(out)]) == 2
    assert "pass --force" in capsys.readouterr().err and out.read_text() == "my own notes\n"
    assert main(["dataset", "pairs", str(data), "--out", str(out), "--force"]) == 0
    assert len(read(out)) == 78
    assert main(["dataset", "pairs", str(data), "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_a_negative_seed_is_a_usage_error(data, tmp_path, capsys):
    """numpy refused it with a ValueError traceback."""
    assert main(["dataset", "pairs", str(data), "--out", str(tmp_path / "x.csv"), "--seed", "-5"]) == 2
    err = capsys.readouterr().err
    assert err == "animeid: error: --seed -5: must be a whole number >= 0\n"
    assert not (tmp_path / "x.csv").exists()


def test_out_under_a_file_is_a_usage_error(data, tmp_path, capsys):
    """The CSV's folder was made with mkdir(parents=True): FileExistsError traceback."""
    (tmp_path / "afile").write_text("mine")
    assert main(["dataset", "pairs", str(data), "--out", str(tmp_path / "afile" / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("animeid: error: --out ") and "exists and is not a folder" in err and err.count("\n") == 1
    assert (tmp_path / "afile").read_text() == "mine"


def test_a_place_that_cannot_hold_files_is_a_usage_error(data, tmp_path, capsys, monkeypatch):
    """A temporary file that cannot be created (/proc, a vanished folder) escaped as a traceback."""
    import tempfile

    def refuse(*args, **kwargs):
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    assert main(["dataset", "pairs", str(data), "--out", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("animeid: error: cannot write ") and "No such file or directory" in err


def test_force_never_replaces_one_of_the_datasets_images(data, tmp_path, capsys):
    """--force replaced the picture by the CSV that lists it."""
    picture = sorted((data / "class0").iterdir())[0]
    before = picture.read_bytes()
    assert main(["dataset", "pairs", str(data), "--out", str(picture), "--force"]) == 2
    assert "is one of the dataset's images" in capsys.readouterr().err
    assert picture.read_bytes() == before


def test_the_csv_gets_the_usual_file_mode(data, tmp_path):
    """It was written through mkstemp, whose 0600 hid it from other users."""
    import os

    umask = os.umask(0o022)
    try:
        assert main(["dataset", "pairs", str(data), "--out", str(tmp_path / "x.csv")]) == 0
    finally:
        os.umask(umask)
    assert (tmp_path / "x.csv").stat().st_mode & 0o777 == 0o644


def test_a_dataset_that_is_a_file_is_not_called_missing(tmp_path, capsys):
    """It was refused as "no such dataset folder", with the file right there."""
    (tmp_path / "data.zip").write_bytes(b"x")
    assert main(["dataset", "pairs", str(tmp_path / "data.zip"), "--out", str(tmp_path / "x.csv")]) == 2
    assert capsys.readouterr().err.startswith(f"animeid: error: {tmp_path / 'data.zip'}: a file, not a dataset folder")

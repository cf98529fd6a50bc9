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

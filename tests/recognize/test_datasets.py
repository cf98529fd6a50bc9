"""Labelled folders as `animeid eval` reads them: what is warned about, and where."""
import os

import numpy as np
import pytest
from PIL import Image

from animeid.errors import AnimeidError


def make(root, counts: dict):
    for label, n in counts.items():
        d = root / label
        d.mkdir(parents=True)
        for i in range(n):
            Image.fromarray(np.full((8, 8, 3), 40 * i, np.uint8)).save(d / f"{i}.png")
    return root


def test_single_image_and_empty_labels_are_reported(tmp_path):
    from animeid.recognize.datasets import labelled_folder

    root = make(tmp_path / "g", {"a": 2, "b": 1, "c": 0})
    got = labelled_folder(root)
    assert got.labels == ["a", "a", "b"]
    assert got.warnings == ["label 'b' has a single image", "label folder 'c' has no images; skipped"]
    assert labelled_folder(root, warn_single=False).warnings == ["label folder 'c' has no images; skipped"]


def test_eval_warns_about_single_image_labels_of_training_only(tmp_path):
    from animeid.recognize.evaluation import load_eval_data

    train = make(tmp_path / "train", {"a": 3, "b": 1})
    test = make(tmp_path / "test", {"a": 1, "b": 1, "z": 1})
    data = load_eval_data(train, test, None)
    assert len(data.splits) == 1 and len(data.splits[0].train) == 4 and len(data.splits[0].test) == 3
    assert "label 'b' has a single image" in data.warnings
    assert not any("'a' has a single image" in w for w in data.warnings)   # one test image is normal
    assert any("absent from training are always wrong: z" in w for w in data.warnings)


def test_a_frames_dataset_manifest_is_a_split(tmp_path):
    """`animeid dataset frames` writes split,title,image,...,status; eval reads its kept rows."""
    from animeid.recognize.datasets import manifest_split

    root = tmp_path / "frames"
    rows = ["split,title,image,source,seconds,phash,laplacian_var,status"]
    for split, title, n in (("train", "A", 3), ("train", "B", 3), ("test", "A", 1), ("test", "B", 1)):
        d = root / split / title
        d.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            Image.fromarray(np.full((8, 8, 3), 30 * i, np.uint8)).save(d / f"{i}.jpg")
            rows.append(f"{split},{title},{split}/{title}/{i}.jpg,v.mp4,{i}.0,0,10.0,kept")
    rows.append("train,A,,v.mp4,9.0,0,1.0,dropped: blurred")
    (root / "manifest.csv").write_text("\n".join(rows) + "\n")
    train, test = manifest_split(root)
    assert sorted(train.labels) == ["A"] * 3 + ["B"] * 3 and sorted(test.labels) == ["A", "B"]
    assert not train.warnings and all(p.exists() for p in train.paths)


def _manifest_root(tmp_path, text: bytes | str):
    root = make(tmp_path / "m", {"a": 2, "b": 2})
    (root / "manifest.csv").write_bytes(text.encode() if isinstance(text, str) else text)
    return root


GOOD_ROWS = "image_path,label,split\na/0.png,a,train\nb/0.png,b,train\na/1.png,a,test\nb/1.png,b,test\n"


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16"])
def test_a_manifest_that_is_not_utf8_is_one_line_naming_it(tmp_path, encoding):
    from animeid.recognize.datasets import manifest_split

    root = _manifest_root(tmp_path, (GOOD_ROWS + "a/0.png,Café,val\n").encode(encoding))
    with pytest.raises(AnimeidError, match=r"manifest\.csv: not UTF-8 text") as err:
        manifest_split(root)
    assert str(root / "manifest.csv") in str(err.value)


@pytest.mark.parametrize("row", ["b/1.png", "b/1.png,b", "b/1.png,,test", "nosuch.png"])
def test_a_manifest_row_without_label_or_split_names_its_line(tmp_path, row):
    from animeid.recognize.datasets import manifest_split

    root = _manifest_root(tmp_path, GOOD_ROWS + "\n" + row + "\n")  # a blank line is no row
    with pytest.raises(AnimeidError, match=r"manifest\.csv line 7: no (label|split)"):
        manifest_split(root)


def test_a_manifest_that_is_a_folder_is_one_line(tmp_path):
    from animeid.recognize.datasets import manifest_split

    root = make(tmp_path / "m", {"a": 2})
    (root / "manifest.csv").mkdir()
    with pytest.raises(AnimeidError, match=r"manifest\.csv: is a folder"):
        manifest_split(root)


@pytest.mark.parametrize("how", ["test", "manifest", "folds"])
def test_eval_skips_unreadable_images_with_a_warning(tmp_path, how):
    """As enroll and train do: one bad file costs its row, not the run."""
    from animeid.recognize.evaluation import load_eval_data

    train = make(tmp_path / "train", {"a": 3, "b": 3})
    test = make(tmp_path / "test", {"a": 1, "b": 1})
    (train / "a" / "zero.png").write_bytes(b"")
    (test / "b" / "junk.png").write_bytes(b"not a png")
    if how == "manifest":
        (train / "t").mkdir()
        (train / "t" / "broken.png").write_bytes(b"\x89PNG nope")
        rows = ["image_path,label,split", "t/broken.png,b,test", "b/2.png,b,test", "a/2.png,a,test"]
        rows += [f"{p.parent.name}/{p.name},{p.parent.name},train" for p in sorted(train.glob("[ab]/[01z]*.png"))]
        (train / "manifest.csv").write_text("\n".join(rows) + "\n")
    data = load_eval_data(train, test if how == "test" else None, 3 if how == "folds" else None)
    assert not any(p.name in ("zero.png", "junk.png", "broken.png") for p in data.paths)
    assert any(w.startswith("skipped: ") and "zero.png: empty file (0 bytes)" in w for w in data.warnings)
    if how == "test":
        assert any("junk.png: not a readable image" in w for w in data.warnings)
    if how == "manifest":
        assert any("broken.png: not a readable image" in w for w in data.warnings)


def test_eval_with_nothing_readable_left_is_one_line(tmp_path, capsys):
    from animeid.cli.main import main

    train = tmp_path / "train"
    for label in ("a", "b"):
        (train / label).mkdir(parents=True)
        (train / label / "0.png").write_bytes(b"")
    assert main(["eval", "--train", str(train), "--test", str(train), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"animeid: error: {train}: no readable image; all 2 failed to decode")
    assert err.count("\n") == 1


def test_label_folders_and_images_with_undecodable_names_are_skipped(tmp_path):
    from animeid.recognize.datasets import labelled_folder

    root = make(tmp_path / "g", {"a": 2})
    bad = root / os.fsdecode(b"Caf\xe9")
    bad.mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(bad / "0.png")
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(root / "a" / os.fsdecode(b"\xff.png"))
    got = labelled_folder(root)
    assert got.labels == ["a", "a"] and all(p.name in ("0.png", "1.png") for p in got.paths)
    assert "label folder 'Caf\\xe9': name is not valid UTF-8; skipped (rename it)" in got.warnings
    assert f"{root}/a/\\xff.png: file name is not valid UTF-8; skipped (rename it)" in got.warnings

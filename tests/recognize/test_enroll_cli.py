"""`animeid enroll` as a user meets it: a bad input stores nothing, a failure keeps what was stored."""
import json

import numpy as np
import pytest
from PIL import Image

from animeid.cli.main import main


def make(root, counts: dict):
    for i, (label, n) in enumerate(counts.items()):
        d = root / label
        d.mkdir(parents=True)
        for j in range(n):
            Image.fromarray(np.full((24, 24, 3), (60 * i + 3 * j) % 256, np.uint8)).save(d / f"{j}.png")
    return root


def enrol(*args):
    return main(["enroll", *map(str, args), "--embedder", "test-colour", "--quiet"])


def test_a_bad_label_name_refuses_the_whole_run_before_storing(tmp_path, capsys):
    gallery = make(tmp_path / "g", {"a_first": 3, "b\nbad": 3, "c_last": 3})
    assert enrol(gallery, "--db", tmp_path / "db") == 2
    assert "control characters" in capsys.readouterr().err
    assert not (tmp_path / "db").exists()


def test_removing_from_a_missing_gallery_creates_nothing(tmp_path, capsys):
    assert main(["enroll", "--db", str(tmp_path / "typo"), "--remove", "x"]) == 2
    assert "no gallery here" in capsys.readouterr().err
    assert not (tmp_path / "typo").exists()


def test_removals_are_all_or_nothing(tmp_path, capsys):
    gallery = make(tmp_path / "g", {"a": 3, "b": 3, "c": 3})
    db = tmp_path / "db"
    assert enrol(gallery, "--db", db) == 0
    assert main(["enroll", "--db", str(db), "--remove", "a", "--remove", "nosuch", "--remove", "b"]) == 2
    assert "nothing removed" in capsys.readouterr().err
    assert main(["enroll", "--db", str(db), "--remove", "a", "--remove", "b"]) == 0
    capsys.readouterr()
    assert main(["identify", str(gallery / "c" / "0.png"), "--db", str(db), "--json"]) == 0
    labels = {r["label"] for r in json.loads(capsys.readouterr().out)[0]["results"]}
    assert labels <= {"c", "unknown"}


def test_no_readable_image_leaves_no_gallery(tmp_path, capsys):
    gallery = tmp_path / "g"
    (gallery / "x").mkdir(parents=True)
    (gallery / "x" / "broken.png").write_bytes(b"not a png")
    assert enrol(gallery, "--db", tmp_path / "db") == 2
    assert "no gallery was created" in capsys.readouterr().err
    assert not (tmp_path / "db").exists()


def test_enrolling_again_only_adds_new_images(tmp_path, capsys):
    gallery = make(tmp_path / "g", {"a": 3, "b": 3})
    db = tmp_path / "db"
    assert enrol(gallery, "--db", db) == 0
    make(tmp_path / "g", {"c": 2})
    capsys.readouterr()
    assert enrol(gallery, "--db", db) == 0
    assert "enrolled 2 images" in capsys.readouterr().out


def test_dotted_labels_are_labels_and_stray_images_are_reported(tmp_path, capsys):
    gallery = make(tmp_path / "g", {".hack": 3, "b": 3, ".git": 2})
    Image.fromarray(np.zeros((24, 24, 3), np.uint8)).save(gallery / "stray.png")
    assert enrol(gallery, "--db", tmp_path / "db") == 0
    captured = capsys.readouterr()
    assert "of 2 character labels" in captured.out  # .hack and b; .git is a tool's folder
    assert "directly in" in captured.err and "stray" not in captured.out


@pytest.mark.parametrize("flag", [[], ["--faces"]])
def test_removing_does_not_need_the_enrol_flags(tmp_path, capsys, flag):
    gallery = make(tmp_path / "g", {"a": 3, "b": 3})
    db = tmp_path / "db"
    assert enrol(gallery, "--db", db, *flag) == 0
    assert main(["enroll", "--db", str(db), "--remove", "a"]) == 0
    assert "removed 'a'" in capsys.readouterr().out


def test_nothing_readable_into_an_existing_gallery_is_a_failure(tmp_path, capsys):
    db = tmp_path / "db"
    assert enrol(make(tmp_path / "g", {"a": 3, "b": 3}), "--db", db) == 0
    bad = tmp_path / "bad"
    (bad / "c").mkdir(parents=True)
    (bad / "c" / "0.png").write_bytes(b"garbage")
    assert enrol(bad, "--db", db) == 1
    assert "skipped" in capsys.readouterr().err
    assert enrol(tmp_path / "g", "--db", db) == 0  # nothing new, nothing unreadable: fine

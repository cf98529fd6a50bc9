"""`animeid enroll` as a user meets it: a bad input stores nothing, a failure keeps what was stored."""
import json
import os
import sqlite3
import threading

import numpy as np
import pytest
from PIL import Image

from animeid.cli.main import main
from animeid.errors import AnimeidError


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
    assert "typo: no such folder; create one with `animeid enroll GALLERY" in capsys.readouterr().err
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


def test_a_label_removed_twice_is_removed_once(tmp_path, capsys):
    """The second removal failed after the first was done: exit 2, and half of what was asked."""
    gallery = make(tmp_path / "g", {"a": 3, "b": 3, "c": 3})
    db = tmp_path / "db"
    assert enrol(gallery, "--db", db) == 0
    capsys.readouterr()
    assert main(["enroll", "--db", str(db), "--remove", "a", "--remove", "a"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "removed 'a' (3 images)\n" and captured.err == ""


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


@pytest.mark.parametrize("second", [["--faces"], ["--kind", "title"]])
def test_enrolling_another_way_into_a_gallery_is_one_line(tmp_path, capsys, second):
    """Until 2026-11-26 the message was built from the gallery after closing it: a traceback
    (sqlite3.ProgrammingError) instead of the refusal."""
    db = tmp_path / "db"
    assert enrol(make(tmp_path / "g", {"a": 3, "b": 3}), "--db", db) == 0
    capsys.readouterr()
    assert enrol(make(tmp_path / "g2", {"c": 3}), "--db", db, *second) == 2
    err = capsys.readouterr().err
    assert err.startswith("animeid: error: ") and err.count("\n") == 1
    assert ("--faces" in err) if second == ["--faces"] else ("character gallery" in err)


def test_a_db_that_is_a_dangling_link_is_one_line_and_creates_nothing(tmp_path, capsys):
    link = tmp_path / "dangl"
    link.symlink_to(tmp_path / "nowhere" / "x")
    assert enrol(make(tmp_path / "g", {"a": 3}), "--db", link) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"animeid: error: --db {link} is a symbolic link to a missing folder "
                          f"({tmp_path / 'nowhere' / 'x'})")
    assert err.count("\n") == 1 and not (tmp_path / "nowhere").exists()
    assert main(["identify", str(tmp_path / "g" / "a" / "0.png"), "--db", str(link)]) == 2
    assert "symbolic link" in capsys.readouterr().err


def test_folders_and_files_whose_names_are_not_utf8_are_skipped_with_a_warning(tmp_path, capsys):
    gallery = make(tmp_path / "g", {"a": 3, "b": 3})
    bad_dir = tmp_path / "g" / os.fsdecode(b"Caf\xe9")
    bad_dir.mkdir()
    Image.fromarray(np.full((24, 24, 3), 200, np.uint8)).save(bad_dir / "0.png")
    Image.fromarray(np.full((24, 24, 3), 99, np.uint8)).save(gallery / "a" / os.fsdecode(b"x\xff.png"))
    assert enrol(gallery, "--db", tmp_path / "db") == 0
    captured = capsys.readouterr()
    assert "enrolled 6 images" in captured.out and "of 2 character labels" in captured.out
    assert "label folder 'Caf\\xe9': name is not valid UTF-8; skipped (rename it)" in captured.err
    assert "x\\xff.png: file name is not valid UTF-8; skipped (rename it)" in captured.err


def _shades(root, label, n, first):
    """`n` pictures none of `make`'s: shades from `first` on, 7 apart."""
    (root / label).mkdir(parents=True)
    for j in range(n):
        Image.fromarray(np.full((24, 24, 3), (first + 7 * j) % 256, np.uint8)).save(root / label / f"{j}.png")
    return root


def _items(db) -> tuple[int, int]:
    conn = sqlite3.connect(str(db / "gallery.sqlite"))
    try:
        return conn.execute("SELECT COUNT(*), COUNT(DISTINCT digest) FROM items").fetchone()
    finally:
        conn.close()


def test_a_second_writer_is_refused_while_the_first_holds_the_gallery(tmp_path, capsys):
    from animeid.recognize.recognizer import Recognizer

    db = tmp_path / "db"
    assert enrol(make(tmp_path / "g", {"a": 3}), "--db", db) == 0
    more = _shades(tmp_path / "g2", "b", 3, 101)
    holder = Recognizer.load(db, write=True)  # as a running `animeid enroll` holds it
    try:
        capsys.readouterr()
        assert enrol(more, "--db", db) == 2
        assert main(["enroll", "--db", str(db), "--remove", "a"]) == 2
        err = capsys.readouterr().err.splitlines()
        assert err == [f"animeid: error: {db}: another animeid process is writing this gallery; "
                       "try again when it has finished"] * 2
        server = Recognizer.load(db)  # a server's recognizer locks each change, not its lifetime
        with pytest.raises(AnimeidError, match="another animeid process"):
            server.enroll("b", sorted((more / "b").iterdir()))
        server.close()
    finally:
        holder.close()
    assert _items(db) == (3, 3)
    assert enrol(more, "--db", db) == 0  # released: enrolling works again
    assert _items(db) == (6, 6)


def test_two_enrols_at_once_never_store_an_image_twice(tmp_path, monkeypatch, capsys):
    """Both runs look for their images before either stores one; without the write lock both then
    stored all of them (90 rows, 60 distinct, in the sweep that found it). A barrier in front of
    the insert makes the two runs overlap there every time, as far as the lock lets them."""
    from animeid.recognize.gallery import Gallery

    db = tmp_path / "db"
    assert enrol(make(tmp_path / "g", {"a": 3}), "--db", db) == 0
    more = _shades(tmp_path / "g2", "b", 4, 101)
    barrier, add = threading.Barrier(2, timeout=3), Gallery.add

    def add_together(self, *args, **kwargs):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:  # the other run was refused: it never gets here
            pass
        return add(self, *args, **kwargs)

    monkeypatch.setattr(Gallery, "add", add_together)
    codes = []
    runs = [threading.Thread(target=lambda: codes.append(enrol(more, "--db", db))) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=60)
    assert sorted(codes) in ([0, 0], [0, 2])
    assert _items(db) == (7, 7)
    if 2 in codes:
        assert "another animeid process is writing this gallery" in capsys.readouterr().err


def test_info_lists_a_gallerys_labels(tmp_path, capsys):
    """An archivist checking what a gallery holds after removing and re-adding labels had no
    command for it (`info` refused a gallery and sent them to `identify`); now `info` describes it
    as GET /labels does, plus its embedders."""
    gallery = make(tmp_path / "g", {"alpha": 3, "beta": 4})
    db = tmp_path / "db"
    assert enrol(gallery, "--db", db) == 0
    assert main(["enroll", "--db", str(db), "--remove", "alpha"]) == 0
    capsys.readouterr()
    assert main(["info", "--db", str(db), "--json"]) == 0   # --json as other commands take it
    info = json.loads(capsys.readouterr().out)
    assert info == {"folder": str(db), "store": "gallery", "kind": "character", "faces": False,
                    "embedders": ["test-colour"], "images": 4, "labels": {"beta": 4}}

"""`enroll`, `identify` and `eval` given bad input: one `animeid: error:` line on stderr and a
non-zero exit, answers alone on stdout, and nothing stored is lost."""
from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest
from PIL import Image

from animeid.cli.main import main
from tests.recognize.conftest import TEST_CFG  # importing it registers the gallery's test embedder


def _colour_gallery(folder, per_label: int, side: int, seed: int):
    """GALLERY/red and GALLERY/blue: noisy squares of one colour each."""
    rng = np.random.default_rng(seed)
    for label, colour in {"red": (200, 40, 40), "blue": (40, 40, 200)}.items():
        (folder / label).mkdir(parents=True)
        for j in range(per_label):
            noisy = np.clip(np.asarray(colour) + rng.normal(0, 25, (side, side, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(noisy).save(folder / label / f"{j}.png")


@pytest.fixture
def gallery_db(tmp_path):
    _colour_gallery(tmp_path / "g", per_label=4, side=24, seed=0)
    db = tmp_path / "db"
    assert main(["enroll", str(tmp_path / "g"), "--db", str(db), "--embedder", TEST_CFG.name, "--quiet"]) == 0
    return db


def test_identify_prints_answers_on_stdout_and_errors_on_stderr_as_search_does(gallery_db, tmp_path, capsys):
    """Until 2026-11-26 a failed image printed `path: error: ...` on stdout, among the answers."""
    good = tmp_path / "g" / "red" / "0.png"
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG nope")
    capsys.readouterr()
    assert main(["identify", str(good), str(broken), str(tmp_path / "nosuch.png"), "--db", str(gallery_db)]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0].startswith(f"{good}: red (")
    assert len(captured.out.splitlines()) == 1 and "error" not in captured.out
    errors = captured.err.splitlines()
    assert len(errors) == 2 and all(line.startswith("animeid: error: ") for line in errors)
    assert errors[0].startswith(f"animeid: error: {broken}: not a readable image")
    assert errors[1] == f"animeid: error: {tmp_path / 'nosuch.png'}: no such file"


def test_identify_json_keeps_errors_inside_the_json(gallery_db, tmp_path, capsys):
    capsys.readouterr()
    assert main(["identify", str(tmp_path / "nosuch.png"), "--db", str(gallery_db), "--json"]) == 1
    captured = capsys.readouterr()
    (item,) = json.loads(captured.out)
    assert item["results"] == [] and item["error"] == f"{tmp_path / 'nosuch.png'}: no such file"
    assert "error" not in captured.err


def test_a_gallery_whose_embedder_is_gone_says_how_to_get_it_back(gallery_db, tmp_path, capsys):
    """An exported embedder lives in the cache, which users clean: the gallery is kept, and the
    message says which gallery and the two ways back (export it again, or point at its folder)."""
    conn = sqlite3.connect(str(gallery_db / "gallery.sqlite"))
    with conn:
        features = json.loads(conn.execute("SELECT value FROM meta WHERE key='features'").fetchone()[0])
        features["recipe"]["embedders"] = ["mine-gone"]
        features["embedders"][0]["name"] = "mine-gone"
        conn.execute("UPDATE meta SET value=? WHERE key='features'", (json.dumps(features),))
    conn.close()
    capsys.readouterr()
    for args in (["identify", str(tmp_path / "g" / "red" / "0.png")], ["enroll", str(tmp_path / "g")]):
        assert main([*args, "--db", str(gallery_db)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"animeid: error: {gallery_db}: unknown embedder 'mine-gone'") and err.count("\n") == 1
        assert "animeid export" in err and "ANIMEID_EMBEDDERS" in err
    conn = sqlite3.connect(str(gallery_db / "gallery.sqlite"))
    assert conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 8  # nothing lost
    conn.close()


@pytest.mark.parametrize("manifest, expected", [
    ("image_path,label,split\nred/0.png,red,train\nred/1.png\n".encode("utf-16"), "manifest.csv: not UTF-8 text"),
    ("image_path,label,split\nred/0.png,Caf\xe9,train\n".encode("cp1252"), "manifest.csv: not UTF-8 text"),
    (b"image_path,label,split\nred/0.png,red,train\nred/1.png\n", "manifest.csv line 3: no label and no split"),
    (None, "manifest.csv: is a folder"),
])
def test_eval_on_a_bad_manifest_is_one_line(tmp_path, gallery_db, capsys, manifest, expected):
    root = tmp_path / "g"
    if manifest is None:
        (root / "manifest.csv").mkdir()
    else:
        (root / "manifest.csv").write_bytes(manifest)
    capsys.readouterr()
    assert main(["eval", "--train", str(root), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"animeid: error: {root}/{expected}") and err.count("\n") == 1


def test_a_newline_in_an_image_name_does_not_split_its_error_line(gallery_db, tmp_path, capsys):
    """A file name may hold a newline: printed as it was, one error read as two lines."""
    bad = tmp_path / "two\nlines.png"
    bad.write_bytes(b"\x89PNG nope")
    capsys.readouterr()
    assert main(["identify", str(bad), "--db", str(gallery_db)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"animeid: error: {tmp_path}/two\\nlines.png: not a readable image") and err.count("\n") == 1


@pytest.mark.parametrize("key, value", [("features", "{}"), ("scoring", "[]"), ("dim", "7"), ("dim", '"x"'),
                                        ("calibration", '"x"'), ("scoring", '{"neighbours": -1}'),
                                        ("scoring", '{"neighbours": 8, "per_class": 0.5}')])
def test_a_gallery_with_damaged_settings_is_a_one_line_error(gallery_db, tmp_path, capsys, key, value):
    """Valid SQLite whose stored settings are not what they should be failed as a KeyError,
    TypeError or ValueError traceback, some only at the first answer."""
    conn = sqlite3.connect(str(gallery_db / "gallery.sqlite"))
    with conn:
        conn.execute("UPDATE meta SET value=? WHERE key=?", (value, key))
    conn.close()
    image = tmp_path / "g" / "red" / "0.png"
    capsys.readouterr()
    for argv in (["identify", str(image), "--db", str(gallery_db)],
                 ["enroll", str(tmp_path / "g"), "--db", str(gallery_db), "--quiet"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"animeid: error: {gallery_db}: damaged gallery (its settings in gallery.sqlite: ")
        assert err.count("\n") == 1


def test_a_newline_in_an_image_name_keeps_its_answer_on_one_line(gallery_db, tmp_path, capsys):
    shot = tmp_path / "two\nlines.png"
    shot.write_bytes((tmp_path / "g" / "red" / "0.png").read_bytes())
    capsys.readouterr()
    assert main(["identify", str(shot), "--db", str(gallery_db), "--k", "1"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith(f"{tmp_path}/two\\nlines.png: ")


def test_a_damaged_embedder_stops_identify_once_with_exit_2(tmp_path, monkeypatch, capsys):
    """A gallery whose embedder's graph no longer loads was reported per image (the same error
    after every input, exit 1), as if each picture were at fault."""
    from tests.features.onnx_graphs import projection_graph

    monkeypatch.setenv("ANIMEID_EMBEDDERS", str(tmp_path / "embedders"))
    assert main(["embedders", "add", "tower", str(projection_graph(tmp_path / "tower.onnx"))]) == 0
    _colour_gallery(tmp_path / "g", per_label=3, side=40, seed=1)
    db = tmp_path / "db"
    assert main(["enroll", str(tmp_path / "g"), "--db", str(db), "--embedder", "tower", "--quiet"]) == 0
    graph = tmp_path / "embedders" / "tower" / "model.onnx"
    graph.write_bytes(bytes(graph.stat().st_size))          # same size, not a graph any more
    capsys.readouterr()
    shots = [str(tmp_path / "g" / "red" / "0.png"), str(tmp_path / "g" / "blue" / "1.png")]
    assert main(["identify", *shots, "--db", str(db), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("animeid: error: embedder 'tower' is damaged") and "0.png" not in line

"""`-` reads the picture or clip from standard input: through a real pipe for `search`, and with
the process's stdin replaced for `identify` (its test gallery uses an embedder registered by the
test session only)."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from PIL import Image

from animeid.cli.main import main
from animeid.media.video import frames_at
from tests.cli.test_cli import ROOT
from tests.recognize.conftest import TEST_CFG  # importing it registers the gallery's test embedder

BETA = "Beta/[Grp] Beta S01E03 [720p].mkv"


def _pipe(args: list[str], data: bytes) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANIMEID_THREADS": "1", "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-m", "animeid", *args], input=data, capture_output=True,
                          env=env, timeout=300)
    done.stdout, done.stderr = done.stdout.decode(), done.stderr.decode()
    return done


def _png(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    return buf.getvalue()


def test_a_piped_screenshot_is_answered_as_its_file_is(lib_and_db, tmp_path):
    lib, db = lib_and_db
    shot = tmp_path / "shot.png"
    shot.write_bytes(_png(frames_at(lib / BETA, [2.3])[0]))
    piped = _pipe(["search", "-", "--db", str(db), "--k", "2", "--json"], shot.read_bytes())
    named = _pipe(["search", str(shot), "--db", str(db), "--k", "2", "--json"], b"")
    assert piped.returncode == 0, piped.stderr
    (answer,) = json.loads(piped.stdout)
    assert answer["image"] == "-" and answer["error"] is None
    assert answer["results"] == json.loads(named.stdout)[0]["results"]
    assert answer["results"][0]["file"] == BETA and abs(answer["results"][0]["at"] - 2.3) <= 1.0


def test_a_piped_clip_is_searched_as_a_clip(lib_and_db, tmp_path):
    from tests.scenes.test_clip_search import write_window

    _, db = lib_and_db
    clip = tmp_path / "window.gif"
    write_window(clip, 13, 21)  # 1.3 s .. 3.3 s of 'Alpha - 02'
    done = _pipe(["search", "-", "--db", str(db), "--k", "1", "--json"], clip.read_bytes())
    assert done.returncode == 0, done.stderr
    (answer,) = json.loads(done.stdout)
    assert answer["clip"]["frames"] == 5
    assert answer["results"][0]["file"] == "Alpha/Alpha - 02.mp4" and abs(answer["results"][0]["at"] - 1.3) <= 0.5


def test_empty_or_broken_stdin_is_a_one_line_error_beside_other_answers(lib_and_db, tmp_path):
    lib, db = lib_and_db
    shot = tmp_path / "shot.png"
    shot.write_bytes(_png(frames_at(lib / BETA, [1.1])[0]))
    truncated_mp4 = b"\x00\x00\x00\x18ftypmp42 truncated"
    for data, message in [(b"", "-: nothing on standard input (0 bytes)"),
                          (b"\x89PNG\r\n\x1a\n truncated", "-: not a readable image"),
                          (truncated_mp4, "-: not a readable video")]:
        done = _pipe(["search", str(shot), "-", "--db", str(db), "--json"], data)
        assert done.returncode == 1
        ok, bad = json.loads(done.stdout)
        assert ok["results"][0]["file"] == BETA and bad["image"] == "-" and bad["results"] == []
        assert bad["error"].startswith(message) and "animeid-stdin-" not in bad["error"]
        assert "Traceback" not in done.stderr
    text = _pipe(["search", "-", "--db", str(db)], b"")
    assert text.returncode == 1 and text.stderr.strip().splitlines() == [
        "animeid: error: -: nothing on standard input (0 bytes)"]


def test_dash_twice_is_a_usage_error(lib_and_db, capsys):
    _, db = lib_and_db
    assert main(["search", "-", "-", "--db", str(db)]) == 2
    assert "only once" in capsys.readouterr().err


def _colour_gallery(root):
    """Three labels of noisy pictures around three colours: the test embedder tells them apart."""
    rng = np.random.default_rng(0)
    for label, colour in {"red": (200, 40, 40), "green": (40, 200, 40), "blue": (40, 40, 200)}.items():
        (root / label).mkdir(parents=True)
        for j in range(8):
            noisy = np.clip(np.asarray(colour) + rng.normal(0, 25, (32, 32, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(noisy).save(root / label / f"{j}.png")
    return root


def enrol(gallery, db) -> int:
    return main(["enroll", str(gallery), "--db", str(db), "--embedder", TEST_CFG.name, "--quiet"])


def test_identify_reads_a_picture_from_stdin(tmp_path, monkeypatch, capsys):
    db = tmp_path / "db"
    assert enrol(_colour_gallery(tmp_path / "g"), db) == 0
    query = tmp_path / "query.png"
    noisy = np.clip(np.array([40, 40, 200]) + np.random.default_rng(1).normal(0, 25, (32, 32, 3)), 0, 255)
    Image.fromarray(noisy.astype(np.uint8)).save(query)
    capsys.readouterr()
    assert main(["identify", str(query), "--db", str(db), "--json"]) == 0
    named = json.loads(capsys.readouterr().out)[0]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(query.read_bytes())))
    assert main(["identify", "-", "--db", str(db), "--json"]) == 0
    (piped,) = json.loads(capsys.readouterr().out)
    assert piped["image"] == "-" and piped["error"] is None
    assert piped["results"] == named["results"] and piped["results"][0]["label"] == "blue"


@pytest.mark.parametrize("faces", [False, True])
def test_identify_from_an_empty_stdin_fails_in_one_line(tmp_path, monkeypatch, capsys, faces):
    db = tmp_path / "db"
    assert enrol(_colour_gallery(tmp_path / "g"), db) == 0
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    capsys.readouterr()
    assert main(["identify", "-", "--db", str(db)] + (["--faces"] if faces else [])) == 1
    assert "animeid: error: -: nothing on standard input (0 bytes)" in capsys.readouterr().err


def test_a_closed_stdin_is_not_called_a_terminal(lib_and_db, monkeypatch, capsys):
    """Python sets sys.stdin to None when descriptor 0 is closed (`animeid search - <&-`); until
    2026-11-25 the error then said standard input was a terminal."""
    _, db = lib_and_db
    monkeypatch.setattr(sys, "stdin", None)
    assert main(["search", "-", "--db", str(db)]) == 1
    assert capsys.readouterr().err.strip() == "animeid: error: -: standard input is closed; pipe a picture into it"


def test_identify_reads_a_file_named_dash_given_as_dot_slash_dash(tmp_path, monkeypatch, capsys):
    """`./-` names a file called `-`, as for any Unix tool; until 2026-11-25 `identify` (whose
    inputs are parsed as Paths, and Path("./-") is "-") read standard input instead."""
    db = tmp_path / "db"
    assert enrol(_colour_gallery(tmp_path / "g"), db) == 0
    noisy = np.clip(np.array([40, 40, 200]) + np.random.default_rng(1).normal(0, 25, (32, 32, 3)), 0, 255)
    Image.fromarray(noisy.astype(np.uint8)).save(tmp_path / "-", format="PNG")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))  # read it, and the answer is an error
    capsys.readouterr()
    assert main(["identify", "./-", "--db", str(db), "--json"]) == 0
    (answer,) = json.loads(capsys.readouterr().out)
    assert answer["error"] is None and answer["results"][0]["label"] == "blue"
    assert answer["image"] == "./-"          # as typed: "-" would name standard input


def test_a_broken_file_named_dash_is_named_as_typed(tmp_path, monkeypatch, capsys, lib_and_db):
    """The answer and the error said "-" (standard input) for `./-`: Path("./-") is "-"."""
    _, scene_db = lib_and_db
    gallery = tmp_path / "gdb"
    assert enrol(_colour_gallery(tmp_path / "g"), gallery) == 0
    (tmp_path / "-").write_bytes(b"not a picture")
    monkeypatch.chdir(tmp_path)
    for argv in (["identify", "./-", "--db", str(gallery), "--json"], ["search", "./-", "--db", str(scene_db), "--json"]):
        capsys.readouterr()
        assert main(argv) == 1
        (answer,) = json.loads(capsys.readouterr().out)
        assert answer["image"] == "./-" and answer["error"].startswith("./-: not a readable image"), answer


def test_a_pipe_named_like_a_file_is_read_whole_first(lib_and_db, tmp_path):
    """`animeid search <(curl -s URL)`: the shell passes /dev/fd/N, a pipe whose size reads as 0 and
    whose leading bytes a clip check would consume; a real FIFO stands in for it here."""
    from tests.scenes.test_clip_search import write_window

    lib, db = lib_and_db
    shot, clip = _png(frames_at(lib / BETA, [2.3])[0]), tmp_path / "window.gif"
    write_window(clip, 13, 21)
    for data, expect_clip in [(shot, False), (clip.read_bytes(), True)]:
        fifo = tmp_path / f"pipe-{expect_clip}"
        os.mkfifo(fifo)
        writer = threading.Thread(target=fifo.write_bytes, args=(data,), daemon=True)  # blocks until read
        writer.start()
        try:
            done = _pipe(["search", str(fifo), "--db", str(db), "--k", "1", "--json"], b"")
        finally:
            if writer.is_alive():   # the search never opened the pipe: release the writer
                os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
            writer.join(timeout=30)
        assert done.returncode == 0, done.stderr
        (answer,) = json.loads(done.stdout)
        assert answer["image"] == str(fifo) and answer["error"] is None
        assert ("clip" in answer) == expect_clip
        if not expect_clip:
            assert answer["results"][0]["file"] == BETA and abs(answer["results"][0]["at"] - 2.3) <= 1.0


def test_a_device_is_read_up_to_the_limit_and_named(tmp_path):
    from animeid.cli.stdin_input import is_stream, read_stream
    from animeid.errors import BadImage

    assert is_stream("/dev/zero") and is_stream("/dev/null")
    assert not is_stream(tmp_path) and not is_stream(tmp_path / "missing")
    (tmp_path / "f.png").write_bytes(b"x")
    assert not is_stream(tmp_path / "f.png")
    with pytest.raises(BadImage, match=r"^/dev/zero: /dev/zero holds more than the 1,000-byte limit$"):
        read_stream("/dev/zero", limit=1000)
    with pytest.raises(BadImage, match=r"^/dev/null: nothing to read \(0 bytes\)$"):
        read_stream("/dev/null")

"""`animeid genres` meeting bad input the way `search` does: per-image errors as `animeid: error:`
lines on stderr (the path named once), `-` for standard input, output paths that are dangling
symbolic links refused before any work, and file names that are not UTF-8 printed, not crashed on.
Runs on generated colour posters with the colour-layout embedder (no weights to download)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from animeid.cli.main import main
from tests.cli.test_cli import ROOT
from tests.genres.toy_genres import COLOURS, poster_folder, write_png

FAST = ["--embedder", "color-layout", "--quiet"]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("genre-cache")


@pytest.fixture(scope="module")
def colour_model(tmp_path_factory, cache):
    root = tmp_path_factory.mktemp("genre-model")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANIMEID_CACHE", str(cache))
        assert main(["genres", "train", str(poster_folder(root / "data")), "--model", str(root / "m"), *FAST]) == 0
    return root / "m"


@pytest.fixture
def posters(tmp_path, monkeypatch, cache):
    monkeypatch.setenv("ANIMEID_CACHE", str(cache))
    return poster_folder(tmp_path / "data")


def _run(args: list, data: bytes = b"", cache=None, strict: bool = False) -> subprocess.CompletedProcess:
    """The installed command in its own process, fed `data` through a real pipe; `strict` makes
    stdout refuse what is not UTF-8, as it does in a UTF-8 locale other than C.UTF-8."""
    env = {**os.environ, "ANIMEID_THREADS": "1", "PYTHONPATH": str(ROOT / "src")}
    if cache is not None:
        env["ANIMEID_CACHE"] = str(cache)
    if strict:
        env["PYTHONIOENCODING"] = "utf-8:strict"
    done = subprocess.run([sys.executable, "-m", "animeid", *args], input=data, capture_output=True,
                          env=env, timeout=300)
    done.stdout, done.stderr = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    return done


# -- 1: errors on stderr, once -------------------------------------------------------------------
def test_unreadable_poster_is_an_error_line_on_stderr_naming_it_once(colour_model, tmp_path, capsys, cache,
                                                                     monkeypatch):
    monkeypatch.setenv("ANIMEID_CACHE", str(cache))
    good = write_png(tmp_path / "red.png", COLOURS["Action"], seed=7)
    bad = tmp_path / "x.jpg"
    bad.write_bytes(b"junk")
    capsys.readouterr()
    code = main(["genres", "predict", str(good), str(bad), str(tmp_path / "missing.png"), "--model", str(colour_model)])
    out, err = capsys.readouterr()
    assert code == 1
    assert out.splitlines()[0].startswith(f"{good}: ") and len(out.splitlines()) == 1 and str(bad) not in out
    assert err.splitlines() == [
        f"animeid: error: {bad}: not a readable image (UnidentifiedImageError: cannot identify image file data)",
        f"animeid: error: {tmp_path / 'missing.png'}: no such file"]


def test_json_error_names_the_poster_once(colour_model, tmp_path, capsys, cache, monkeypatch):
    monkeypatch.setenv("ANIMEID_CACHE", str(cache))
    bad = tmp_path / "x.jpg"
    bad.write_bytes(b"junk")
    capsys.readouterr()
    assert main(["genres", "predict", str(bad), "--model", str(colour_model), "--json"]) == 1
    out, err = capsys.readouterr()
    (item,) = json.loads(out)
    assert item["image"] == str(bad) and item["error"].startswith(f"{bad}: not a readable image")
    assert item["error"].count(str(bad)) == 1 and err == ""


def test_a_poster_given_as_dot_slash_is_named_as_given(colour_model, tmp_path, capsys, monkeypatch, cache):
    monkeypatch.setenv("ANIMEID_CACHE", str(cache))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.jpg").write_bytes(b"junk")
    capsys.readouterr()
    assert main(["genres", "predict", "./x.jpg", "--model", str(colour_model), "--json"]) == 1
    (item,) = json.loads(capsys.readouterr().out)
    assert item["image"] == "./x.jpg" and item["error"].startswith("./x.jpg: not a readable image")


# -- 2: `-` is standard input ----------------------------------------------------------------------
def test_a_piped_poster_is_predicted_as_its_file_is(colour_model, tmp_path, cache):
    poster = write_png(tmp_path / "blue.png", COLOURS["Drama"], seed=8)
    piped = _run(["genres", "predict", "-", "--model", str(colour_model), "--json"], poster.read_bytes(), cache)
    named = _run(["genres", "predict", str(poster), "--model", str(colour_model), "--json"], b"", cache)
    assert piped.returncode == 0, piped.stderr
    (answer,) = json.loads(piped.stdout)
    assert answer["image"] == "-" and answer["error"] is None and answer["predicted"]
    assert answer["genres"] == json.loads(named.stdout)[0]["genres"]


def test_empty_or_broken_stdin_is_one_error_line_naming_dash(colour_model, tmp_path, cache):
    poster = write_png(tmp_path / "red.png", COLOURS["Action"], seed=9)
    for data, message in [(b"", "-: nothing on standard input (0 bytes)"),
                          (b"\x89PNG\r\n\x1a\n truncated", "-: not a readable image")]:
        done = _run(["genres", "predict", str(poster), "-", "--model", str(colour_model), "--json"], data, cache)
        assert done.returncode == 1 and "Traceback" not in done.stderr
        ok, bad = json.loads(done.stdout)
        assert ok["error"] is None and bad["image"] == "-" and bad["predicted"] == []
        assert bad["error"].startswith(message) and "bytes>" not in bad["error"]
    text = _run(["genres", "predict", "-", "--model", str(colour_model)], b"", cache)
    assert text.returncode == 1 and text.stdout == ""
    assert text.stderr.splitlines() == ["animeid: error: -: nothing on standard input (0 bytes)"]


def test_a_pipe_named_like_a_file_is_read_as_search_reads_it(colour_model, tmp_path, cache):
    """`animeid genres predict <(curl -s URL)`: the shell passes /dev/fd/N, a pipe that can be read
    once; a real FIFO stands in for it. Predicted as the file is, and named by the pipe's path."""
    import threading

    poster = write_png(tmp_path / "blue.png", COLOURS["Drama"], seed=8)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_bytes, args=(poster.read_bytes(),), daemon=True)
    writer.start()
    try:
        piped = _run(["genres", "predict", str(fifo), "--model", str(colour_model), "--json"], b"", cache)
    finally:
        if writer.is_alive():   # never opened: release the writer
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        writer.join(timeout=30)
    named = _run(["genres", "predict", str(poster), "--model", str(colour_model), "--json"], b"", cache)
    assert piped.returncode == 0, piped.stderr
    (answer,) = json.loads(piped.stdout)
    assert answer["image"] == str(fifo) and answer["error"] is None
    assert answer["genres"] == json.loads(named.stdout)[0]["genres"]


def test_dash_twice_is_a_usage_error(colour_model, capsys):
    assert main(["genres", "predict", "-", "-", "--model", str(colour_model)]) == 2
    assert capsys.readouterr().err == "animeid: error: '-' (standard input) may be given only once\n"


def test_dot_slash_dash_is_the_file_named_dash(colour_model, tmp_path, cache):
    write_png(tmp_path / "dash.png", COLOURS["Comedy"], seed=10).rename(tmp_path / "-")
    done = subprocess.run([sys.executable, "-m", "animeid", "genres", "predict", "./-", "--model", str(colour_model),
                           "--json"], input=b"", capture_output=True, cwd=tmp_path, timeout=300,
                          env={**os.environ, "ANIMEID_THREADS": "1", "PYTHONPATH": str(ROOT / "src"),
                               "ANIMEID_CACHE": str(cache)})
    assert done.returncode == 0, done.stderr.decode()
    (answer,) = json.loads(done.stdout)
    assert answer["image"] == "./-" and answer["error"] is None and answer["predicted"]


# -- 3: dangling symbolic links as output folders --------------------------------------------------
def _one_line_error(capsys, code) -> str:
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("animeid: error: ") and err.count("\n") == 1 and "Traceback" not in err
    return err


def test_model_as_a_dangling_link_is_refused_and_its_target_not_made(posters, tmp_path, capsys, no_embedding):
    target = tmp_path / "unmounted" / "m"
    (tmp_path / "dangl").symlink_to(target)
    for model in (tmp_path / "dangl", tmp_path / "dangl" / "sub"):
        err = _one_line_error(capsys, main(["genres", "train", str(posters), "--model", str(model), *FAST]))
        assert f"--model {model}" in err and f"{tmp_path / 'dangl'} is a symbolic link to a missing folder" in err
        assert str(target) in err
    assert not (tmp_path / "unmounted").exists()


def test_model_save_refuses_a_dangling_link(tmp_path):
    from animeid.errors import AnimeidError
    from animeid.genres.model_folder import check_model_target

    (tmp_path / "dangl").symlink_to(tmp_path / "nowhere" / "m")
    with pytest.raises(AnimeidError, match="symbolic link to a missing folder"):
        check_model_target(tmp_path / "dangl")
    assert not (tmp_path / "nowhere").exists()


def test_report_as_a_dangling_link_is_refused_before_evaluating(posters, tmp_path, capsys, no_embedding):
    (tmp_path / "out").symlink_to(tmp_path / "unmounted" / "r")
    err = _one_line_error(capsys, main(["genres", "eval", str(posters), "--report", str(tmp_path / "out"), *FAST]))
    assert f"--report {tmp_path / 'out'} is a symbolic link to a missing folder ({tmp_path / 'unmounted' / 'r'})" in err
    assert not (tmp_path / "unmounted").exists()


def test_links_to_existing_folders_still_work(tmp_path):
    from animeid.genres.model_folder import check_model_target

    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert check_model_target(tmp_path / "link" / "m") == tmp_path / "real" / "m"
    assert check_model_target(tmp_path / "link") == tmp_path / "real"


# -- 4: file names that are not UTF-8 --------------------------------------------------------------
def test_non_utf8_file_names_are_printed_with_backslash_escapes(colour_model, tmp_path, cache):
    good = os.fsencode(tmp_path) + b"/Caf\xe9.png"
    bad = os.fsencode(tmp_path) + b"/Bad\xe9.jpg"
    write_png(tmp_path / "ok.png", COLOURS["Action"], seed=11).rename(os.fsdecode(good))
    with open(bad, "wb") as f:
        f.write(b"junk")
    shown_good, shown_bad = f"{tmp_path}/Caf\\xe9.png", f"{tmp_path}/Bad\\xe9.jpg"
    text = _run(["genres", "predict", os.fsdecode(good), os.fsdecode(bad), "--model", str(colour_model)],
                cache=cache, strict=True)
    assert text.returncode == 1 and "Traceback" not in text.stderr
    assert text.stdout.startswith(f"{shown_good}: ")
    reason = "not a readable image (UnidentifiedImageError: cannot identify image file data)"
    assert text.stderr.splitlines() == [f"animeid: error: {shown_bad}: {reason}"]
    as_json = _run(["genres", "predict", os.fsdecode(good), os.fsdecode(bad), "--model", str(colour_model), "--json"],
                   cache=cache, strict=True)
    assert as_json.returncode == 1 and "Traceback" not in as_json.stderr
    ok, failed = json.loads(as_json.stdout)
    assert ok["image"] == shown_good and ok["error"] is None and ok["predicted"]
    assert failed["image"] == shown_bad and failed["error"].startswith(f"{shown_bad}: not a readable image")


def test_a_newline_in_a_poster_name_does_not_split_its_error_line(colour_model, tmp_path, capsys, cache,
                                                                  monkeypatch):
    """A file name may hold a newline: printed as it was, one error read as two lines."""
    monkeypatch.setenv("ANIMEID_CACHE", str(cache))
    bad = tmp_path / "two\nlines.jpg"
    bad.write_bytes(b"junk")
    capsys.readouterr()
    assert main(["genres", "predict", str(bad), "--model", str(colour_model)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"animeid: error: {tmp_path}/two\\nlines.jpg: not a readable image") and err.count("\n") == 1


def test_a_newline_in_a_poster_name_keeps_its_answer_on_one_line(colour_model, tmp_path, capsys, cache,
                                                                  monkeypatch):
    monkeypatch.setenv("ANIMEID_CACHE", str(cache))
    poster = write_png(tmp_path / "blue.png", COLOURS["Drama"], seed=8).rename(tmp_path / "two\nlines.png")
    capsys.readouterr()
    assert main(["genres", "predict", str(poster), "--model", str(colour_model)]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith(f"{tmp_path}/two\\nlines.png: ")

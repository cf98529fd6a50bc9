"""`animeid genres train|eval` options and output paths: every bad value is one `animeid: error:`
line and exit 2, found before any poster is embedded; the figures of an eval are never lost to a
report folder that cannot be written. Runs on generated colour posters with the colour-layout
embedder (no weights), with the embedding cache in a temporary folder."""
import json

import pytest

from animeid.cli.main import main
from tests.genres.toy_genres import poster_folder, unlabelled_folder

FAST = ["--embedder", "color-layout", "--quiet"]


@pytest.fixture
def posters(tmp_path, monkeypatch):
    monkeypatch.setenv("ANIMEID_CACHE", str(tmp_path / "cache"))
    return poster_folder(tmp_path / "data")


def _error(capsys, code) -> str:
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("animeid: error: ") and err.count("\n") == 1 and "Traceback" not in err
    return err


@pytest.mark.parametrize("option,message", [
    (["--C", "0"], "--C 0.0: must be a finite number > 0"),
    (["--C", "-1"], "--C -1.0: must be a finite number > 0"),
    (["--C", "nan"], "--C nan"),
    (["--search", "-1"], "--search -1"),
    (["--search", "99999999999999999999"], "--search 99999999999999999999: at most 1000 trials"),
    (["--knn-weight", "2"], "--knn-weight 2.0: must be in [0, 1]"),
    (["--knn-weight", "-1"], "--knn-weight -1.0: must be in [0, 1]"),
    (["--confidence", "2"], "--confidence 2.0: must be in [0, 1]"),
    (["--confidence", "-5"], "--confidence -5.0"),
    (["--top-k", "-3"], "--top-k -3: must be a whole number >= 0 (0 keeps all genres)"),
    (["--top-k", "1"], "--top-k 1 keeps a single genre"),
    (["--min-count", "-1"], "--min-count -1"),
    (["--seed", "-1"], "--seed -1"),
    (["--max-genres", "-2"], "at most -2 genres per poster"),
])
def test_bad_numbers_refused_before_embedding(posters, tmp_path, capsys, no_embedding, option, message):
    for cmd in (["train", str(posters), "--model", str(tmp_path / "m")], ["eval", str(posters)]):
        err = _error(capsys, main(["genres", *cmd, *option, *FAST]))
        assert message in err
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("folds", ["1", "0", "-3"])
def test_too_few_folds_refused(posters, capsys, no_embedding, folds):
    err = _error(capsys, main(["genres", "eval", str(posters), "--folds", folds, *FAST]))
    assert f"--folds {folds}: cross-validation needs at least 2 folds" in err


def test_more_folds_than_posters_lowered_with_a_note(posters, capsys):
    code = main(["genres", "eval", str(posters), "--folds", "100", "--json", "--embedder", "color-layout"])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert code == 0 and report["folds"] == 15 == report["n_posters"]
    note = "--folds 100 lowered to 15: there are only 15 posters"
    assert note in report["notes"] and f"note: {note}" in captured.err


def test_output_paths_checked_first(posters, tmp_path, capsys, no_embedding, monkeypatch):
    for model in (str(posters / "sub"), str(posters)):
        err = _error(capsys, main(["genres", "train", str(posters), "--model", model, *FAST]))
        assert str(posters) in err
    for report in (str(posters), str(posters / "sub")):
        err = _error(capsys, main(["genres", "eval", str(posters), "--report", report, *FAST]))
        assert f"--report {posters}" in err
    err = _error(capsys, main(["genres", "train", str(posters), "--model", str(tmp_path / "m"),
                               "--unlabelled", str(tmp_path / "nowhere"), *FAST]))
    assert "--unlabelled" in err and "not a folder of images" in err
    (tmp_path / "empty").mkdir()
    err = _error(capsys, main(["genres", "eval", str(posters), "--unlabelled", str(tmp_path / "empty"), *FAST]))
    assert "no readable image" in err


def test_eval_prints_its_figures_before_a_report_failure(posters, tmp_path, capsys, monkeypatch):
    import animeid.genres.report as report_module

    def disk_full(report, folder):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report_module, "_write_report", disk_full)
    code = main(["genres", "eval", str(posters), "--folds", "2", "--report", str(tmp_path / "r"), "--json", *FAST])
    captured = capsys.readouterr()
    assert code == 2 and json.loads(captured.out)["folds"] == 2
    assert captured.err == f"animeid: error: --report {tmp_path / 'r'}: cannot write the report (No space left on device)\n"


def test_eval_report_written(posters, tmp_path, capsys):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "mine.txt").write_text("kept")
    assert main(["genres", "eval", str(posters), "--folds", "2", "--report", str(tmp_path / "r"), *FAST]) == 0
    names = {p.name for p in (tmp_path / "r").iterdir()}
    assert {"report.json", "report.md", "mine.txt"} <= names and not any(n.endswith(".tmp") for n in names)


def test_train_with_search_and_unlabelled(posters, tmp_path, capsys):
    """Unlabelled posters are stacked like the labelled ones after the search chose its settings."""
    unl = unlabelled_folder(tmp_path / "unl")
    (unl / "broken.png").write_bytes(b"\x89PNG truncated")
    code = main(["genres", "train", str(posters), "--model", str(tmp_path / "m"), "--search", "2", "--seed", "0",
                 "--unlabelled", str(unl), "--json", *FAST])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["embedders"] == ["color-layout"]
    assert any("broken.png" in n for n in out["notes"])
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    assert meta["info"]["search"]["trials"] == 2 and 0 <= meta["info"]["pseudo_labelled"] <= 4

"""Bad inputs through the CLI: one `animeid: error:` line and exit 2, no traceback."""
import pytest

from animeid.cli.main import main


@pytest.mark.parametrize("content,message", [
    ("", "empty file"),
    ("image,genres\n", "no rows"),
    ("picture,kind\na.png,Action\n", "unknown columns"),
    ("image,genres\n../a.png,Action\n", "escapes the folder"),
    ("image,genres\na.png,\n", "no row has any genre"),
])
def test_bad_poster_lists(tmp_path, capsys, content, message):
    (tmp_path / "p.csv").write_text(content)
    code = main(["genres", "train", str(tmp_path / "p.csv"), "--model", str(tmp_path / "m"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("animeid: error: ") and message in err
    assert "Traceback" not in err and not (tmp_path / "m").exists()


def test_missing_file_and_missing_model(tmp_path, capsys):
    assert main(["genres", "eval", str(tmp_path / "nope.csv"), "--quiet"]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["genres", "predict", "x.png", "--model", str(tmp_path)]) == 2
    assert "not a genre model" in capsys.readouterr().err

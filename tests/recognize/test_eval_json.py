"""`animeid eval --json` and `--report` write JSON a strict parser accepts: a figure that does not
exist (the baseline searches nothing, so it has no inner-fold accuracy) is null, never NaN."""
import json

import numpy as np
import pytest
from PIL import Image

from animeid.cli.main import main


def _refuse_constant(name):
    raise AssertionError(f"not strict JSON: {name}")


def strict_loads(text: str):
    return json.loads(text, parse_constant=_refuse_constant)


def _folder(root, counts: dict, seed: int):
    """Flat colours a frozen ImageNet net tells apart: red and blue squares with some noise."""
    rng = np.random.default_rng(seed)
    for label, n in counts.items():
        rgb = {"red": (220, 30, 30), "blue": (30, 40, 220)}[label]
        (root / label).mkdir(parents=True)
        for i in range(n):
            img = np.clip(rng.normal(rgb, 12, (40, 40, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(img).save(root / label / f"{i}.png")
    return root


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    root = tmp_path_factory.mktemp("eval-json")
    # "blue" has one training image: no inner folds are possible, so the classical rows have no
    # inner-fold accuracy either
    return _folder(root / "train", {"red": 4, "blue": 1}, 0), _folder(root / "test", {"red": 2, "blue": 2}, 1)


def test_eval_json_and_report_are_strict_json(split, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ANIMEID_CACHE", str(tmp_path / "cache"))
    train, test = split
    report = tmp_path / "rep"
    code = main(["eval", "--train", str(train), "--test", str(test), "--method", "classical:lr",
                 "--json", "--report", str(report), "--quiet"])
    assert code == 0
    printed = strict_loads(capsys.readouterr().out)
    saved = strict_loads((report / "report.json").read_text())
    for result in (printed, saved):
        assert result["baseline"]["inner_cv_accuracy"] is None  # logistic regression at C=1: nothing searched
        assert [r["inner_cv_accuracy"] for r in result["table"]] == [None, None]
        assert result["method_detail"].startswith("no inner folds possible")
        assert result["n_images"] == 9
    md = (report / "report.md").read_text()
    assert "nan" not in md.lower()
    assert md.count("| — |") == 2  # the two table rows' inner-fold column


def test_eval_text_output_shows_a_dash_for_a_missing_figure(split, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ANIMEID_CACHE", str(tmp_path / "cache"))
    train, test = split
    assert main(["eval", "--train", str(train), "--test", str(test), "--method", "classical:lr", "--quiet"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("lr ")]
    assert len(rows) == 2 and all(line.split()[-3] == "—" for line in rows)
    assert "nan" not in out.lower()


def test_a_nan_that_slips_into_a_report_fails_loudly():
    from animeid.evaluate.report import strict_json

    assert strict_loads(strict_json({"a": None, "b": np.float32(0.5)})) == {"a": None, "b": 0.5}
    with pytest.raises(ValueError):
        strict_json({"inner_cv_accuracy": float("nan")})
    with pytest.raises(ValueError):
        strict_json({"x": np.float64("inf")})

"""train -> predict -> eval through the CLI on the shared posters (one embedder, to stay quick)."""
import json

import pytest

from animeid.cli.main import main

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def trained(shared_data, tmp_path_factory):
    model = tmp_path_factory.mktemp("genres") / "model"
    code = main(["genres", "train", str(shared_data / "posters" / "posters.csv"), "--model", str(model),
                 "--embedder", "efficientnet-lite0", "--quiet", "--json"])
    assert code == 0
    return model


def test_train_then_predict_json(trained, shared_data, capsys, tmp_path):
    meta = json.loads((trained / "model.json").read_text())
    assert meta["embedders"][0]["name"] == "efficientnet-lite0"
    assert "Action" in meta["vocabulary"]["genres"] and "Music" not in meta["vocabulary"]["genres"]
    images = sorted((shared_data / "posters" / "images").iterdir())[:2]
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8 truncated")
    capsys.readouterr()
    code = main(["genres", "predict", *map(str, images), str(bad), "--model", str(trained), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1  # one image was unreadable
    assert [r["image"] for r in out] == [*map(str, images), str(bad)]
    for r in out[:2]:
        assert r["error"] is None and len(r["predicted"]) >= 1
        assert r["genres"][0]["score"] >= r["genres"][-1]["score"]
        assert set(r["predicted"]) <= {g["genre"] for g in r["genres"]}
    assert out[2]["error"] and out[2]["predicted"] == []


def test_python_api_predict(trained, shared_data):
    from animeid.genres import GenreModel

    model = GenreModel.load(trained)
    img = sorted((shared_data / "posters" / "images").iterdir())[0]
    r = model.predict(img)
    assert set(r) == {"genres", "predicted"} and r["predicted"]


def test_other_embedder_refused_by_cli(trained, capsys):
    code = main(["genres", "predict", "x.png", "--model", str(trained), "--embedder", "efficientnet-lite2"])
    assert code == 2
    assert "trained with embedder(s) efficientnet-lite0, not 'efficientnet-lite2'" in capsys.readouterr().err


def test_eval_json_and_report(shared_data, tmp_path, capsys):
    code = main(["genres", "eval", str(shared_data / "posters" / "posters.csv"), "--folds", "3",
                 "--embedder", "efficientnet-lite0", "--report", str(tmp_path / "r"), "--json", "--quiet"])
    assert code == 0
    rep = json.loads(capsys.readouterr().out)
    res = rep["results"]
    assert {"model", "most_frequent", "prior"} <= set(res)
    for key in ("micro_f1", "macro_f1", "micro_precision", "micro_recall", "hamming_loss", "subset_accuracy", "mAP"):
        assert 0.0 <= res["model"][key] <= 1.0
    assert res["model"]["mAP"] > res["prior"]["mAP"]
    assert {p.name for p in (tmp_path / "r").iterdir()} >= {"report.json", "report.md", "threshold_f1.png",
                                                            "per_genre_f1.png"}

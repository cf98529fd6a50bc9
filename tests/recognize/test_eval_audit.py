"""The eval audit's findings, end to end on tiny colour sets: per-image predictions in report.json,
manifest split values, train/test leaks, the hyperparameter search with a single-image class,
top-5 with few classes, per-fold spread, the classical t-SNE's features and the knn timer.

A fake feature bank (each image's mean colour, or the mean colour's complement as "hand"
features) replaces the CNN, so these tests embed nothing and know what each image looks like."""
import json

import numpy as np
import pytest
from PIL import Image

import animeid.recognize.evaluation as evaluation
from animeid.cli.main import main
from animeid.errors import AnimeidError
from animeid.recognize.config import EvalCfg
from animeid.recognize.methods import fit_method

COLOURS = {"red": (220, 30, 30), "green": (30, 200, 40), "blue": (30, 40, 220), "grey": (128, 128, 128),
           "yellow": (230, 220, 30), "cyan": (30, 220, 220), "pink": (240, 120, 200)}


def _folder(root, counts: dict, seed: int = 0):
    rng = np.random.default_rng(seed)
    for label, n in counts.items():
        (root / label).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            img = np.clip(rng.normal(COLOURS[label], 12, (16, 16, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(img).save(root / label / f"{i}.png")
    return root


class ColourBank:
    """FeatureBank's interface over mean colours: rows() for every recipe, hand() their complement
    with a constant column (so the two feature sets differ visibly)."""

    def __init__(self, paths, timer, progress=True):
        self.paths, self.timer = paths, timer
        self.x = np.stack([np.asarray(Image.open(p).convert("RGB"), dtype=np.float32).mean((0, 1)) / 255
                           for p in paths])

    def rows(self, recipe):
        return self.x

    def hand(self):
        return np.hstack([1 - self.x, np.full((len(self.x), 1), 7.0)])


@pytest.fixture
def fake_bank(monkeypatch):
    monkeypatch.setattr(evaluation, "FeatureBank", ColourBank)


def _report(tmp_path, capsys, *args):
    out = tmp_path / "rep"
    assert main(["eval", *map(str, args), "--report", str(out), "--quiet", "--json"]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out), json.loads((out / "report.json").read_text()), out, captured.err


def test_report_json_holds_every_test_image_prediction(tmp_path, capsys, fake_bank):
    train = _folder(tmp_path / "train", {"red": 4, "green": 4, "blue": 4}, 0)
    test = _folder(tmp_path / "test", {"red": 2, "green": 2, "blue": 1}, 1)
    printed, saved, _, _ = _report(tmp_path, capsys, "--train", train, "--test", test, "--method", "linear")
    preds = saved["predictions"]
    assert "predictions" not in printed  # stdout keeps the figures; the rows are in report.json
    assert sorted(p["path"] for p in preds) == ["blue/0.png", "green/0.png", "green/1.png", "red/0.png", "red/1.png"]
    assert all(p["truth"] == p["path"].split("/")[0] for p in preds)
    assert all(set(p) == {"path", "truth", "pred", "top5", "baseline_pred"} for p in preds)
    assert all(p["top5"][0] == p["pred"] and sorted(p["top5"]) == ["blue", "green", "red"] for p in preds)
    # the figures can be recomputed from the rows
    acc = np.mean([p["truth"] == p["pred"] for p in preds])
    assert saved["metrics"]["accuracy"] == pytest.approx(acc)
    assert saved["baseline"]["accuracy"] == pytest.approx(np.mean([p["truth"] == p["baseline_pred"] for p in preds]))


def test_folds_give_each_prediction_its_fold_and_the_per_fold_spread(tmp_path, capsys, fake_bank):
    train = _folder(tmp_path / "train", {"red": 3, "green": 3, "blue": 3}, 0)
    _, saved, out, _ = _report(tmp_path, capsys, "--train", train, "--folds", "3", "--method", "classical:lr")
    preds = saved["predictions"]
    assert len(preds) == 9 and sorted(p["fold"] for p in preds) == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    m = saved["metrics"]
    assert m["pooled_over_folds"] == 3 and saved["folds"] == 3
    folds = m["per_fold"]["folds"]
    for f in folds:  # recomputed from the rows by hand
        mine = [p for p in preds if p["fold"] == f["fold"]]
        assert f["accuracy"] == pytest.approx(np.mean([p["truth"] == p["pred"] for p in mine]))
    accs = [f["accuracy"] for f in folds]
    assert m["per_fold"]["accuracy_mean"] == pytest.approx(np.mean(accs))
    assert m["per_fold"]["accuracy_std"] == pytest.approx(np.std(accs))
    assert "per_fold" in saved["baseline"]
    md = (out / "report.md").read_text()
    assert "pooled over the 3 folds" in md and "## Per fold" in md and "mean ± sd" in md


def test_manifest_split_values_are_checked(tmp_path):
    from animeid.recognize.datasets import manifest_split

    root = _folder(tmp_path / "d", {"red": 2, "blue": 2})
    rows = ["image_path,label,split", "red/0.png,red,Train", "blue/0.png,blue,VAL",
            "red/1.png,red,Test", "blue/1.png,blue, test "]
    (root / "manifest.csv").write_text("\n".join(rows) + "\n")
    train, test = manifest_split(root)
    assert sorted(p.name for p in test.paths) == ["1.png", "1.png"] and len(train) == 2
    (root / "manifest.csv").write_text("\n".join(rows + ["red/1.png,red,testing"]) + "\n")
    with pytest.raises(AnimeidError, match=r"manifest.csv line 6: split 'testing' is not train, val or test"):
        manifest_split(root)


def test_a_test_image_identical_to_a_training_image_is_warned_about(tmp_path, capsys, fake_bank):
    data = _folder(tmp_path / "d", {"red": 3, "blue": 3})
    _, saved, out, err = _report(tmp_path, capsys, "--train", data, "--test", data, "--method", "linear")
    assert "6 test image(s) are byte-identical to a training image (blue/0.png, blue/1.png, blue/2.png, ...)" in err
    assert saved["leakage"] == {"test_images_identical_to_training": 6,
                                "examples": ["blue/0.png", "blue/1.png", "blue/2.png"]}
    assert any("byte-identical" in w for w in saved["warnings"])
    assert "byte-identical" in (out / "report.md").read_text()


def test_a_manifest_listing_an_image_twice_is_a_leak(tmp_path, capsys, fake_bank):
    root = _folder(tmp_path / "d", {"red": 3, "blue": 3})
    rows = ["image_path,label,split"] + [f"{c}/{i}.png,{c},train" for c in ("red", "blue") for i in range(3)]
    rows += ["red/0.png,red,test", "blue/2.png,blue,test"]
    (root / "manifest.csv").write_text("\n".join(rows) + "\n")
    _, saved, _, err = _report(tmp_path, capsys, "--train", root, "--method", "linear")
    assert saved["leakage"]["test_images_identical_to_training"] == 2
    assert "2 test image(s) are byte-identical" in err
    clean = _folder(tmp_path / "clean", {"red": 2, "blue": 2})
    data = evaluation.load_eval_data(clean, None, 2)
    assert data.leaks["count"] == 0 and not any("identical" in w for w in data.warnings)


def test_a_single_image_class_does_not_stop_the_search_for_the_others(rng):
    x = np.vstack([rng.normal(c, 0.3, (6, 4)) for c in (0, 3, 6)] + [rng.normal(9, 0.3, (1, 4))])
    y = ["a"] * 6 + ["b"] * 6 + ["c"] * 6 + ["lonely"]
    fitted = fit_method("classical:lr", x, y, EvalCfg())
    assert fitted.cv_score is not None and 0.9 <= fitted.cv_score <= 1.0
    assert fitted.classes == ["a", "b", "c", "lonely"]  # the final model knows every class
    assert "1 single-image class(es) left out of the inner folds" in fitted.search_note
    knn = fit_method("classical:knn", x, y, EvalCfg())
    assert knn.cv_score is not None and knn.search_note


def test_when_nothing_can_be_searched_the_report_says_so(tmp_path, capsys, fake_bank):
    train = _folder(tmp_path / "train", {"red": 4, "blue": 1}, 0)
    test = _folder(tmp_path / "test", {"red": 2, "blue": 2}, 1)
    _, saved, out, err = _report(tmp_path, capsys, "--train", train, "--test", test, "--method", "classical:lr")
    assert "hyperparameters not searched: fewer than two classes have two training images; defaults " \
           "{'clf__C': 0.1}" in err
    assert saved["search_notes"] == [  # said once for both feature sets
        "classical:lr: hyperparameters not searched: fewer than two classes have two training images; defaults "
        "{'clf__C': 0.1}"]
    assert "hyperparameters not searched" in (out / "report.md").read_text()


def test_top5_with_five_classes_or_fewer_is_flagged(tmp_path, capsys, fake_bank):
    train = _folder(tmp_path / "train", {"red": 3, "green": 3, "blue": 3}, 0)
    test = _folder(tmp_path / "test", {"red": 1, "green": 1, "blue": 1}, 1)
    _, saved, out, _ = _report(tmp_path, capsys, "--train", train, "--test", test, "--method", "linear")
    assert saved["metrics"]["top5_trivial"] is True and saved["baseline"]["top5_trivial"] is True
    assert saved["n_trained_classes"] == 3
    assert "top5 accuracy is trivial here: with 3 trained classes every class is in the top 5" in \
        (out / "report.md").read_text()
    many = {c: 3 for c in COLOURS}  # 7 trained classes
    _, saved, _, _ = _report(tmp_path / "b", capsys, "--train", _folder(tmp_path / "t7", many, 0),
                             "--test", _folder(tmp_path / "e7", {"red": 1, "grey": 1}, 1), "--method", "linear")
    assert saved["metrics"]["top5_trivial"] is False


def test_classical_tsne_plots_the_reported_rows_features(tmp_path, fake_bank, monkeypatch):
    import animeid.recognize.evaluation as ev

    train = _folder(tmp_path / "train", {"red": 4, "green": 4, "blue": 4}, 0)
    test = _folder(tmp_path / "test", {"red": 2, "green": 2, "blue": 2}, 1)
    monkeypatch.setattr(ev, "headline_row", lambda table: next(r for r in table if r["features"].startswith("hand")))
    result = ev.run_eval(train, "classical:lr", test, progress=False)
    assert result["_plot"]["x"].shape[1] == 4  # hand: 3 colour columns and the constant one, not the 3 cnn columns
    assert result["tsne_features"].startswith("hand")


def test_knn_prediction_is_timed(rng, monkeypatch):
    from animeid.recognize import finetune_ensemble as fe

    x = np.vstack([rng.normal(c, 0.3, (6, 3)) for c in (0, 4)])
    y = ["a"] * 6 + ["b"] * 6

    class Bank:
        def images(self):
            pass

        def prepare(self, backbone, rows):
            pass

    class Ensemble:
        def __init__(self, cfg):
            self.fit_seconds, self.members = {}, []

        def fit(self, bank, rows, labels, timer=None):
            return self

        def embed(self, bank, rows):
            return x[rows]

    monkeypatch.setattr(fe, "FineTuneEnsemble", Ensemble)
    timer = evaluation.Timer()
    idx = np.arange(12)
    split = evaluation.Split(idx[idx % 3 != 0], idx[idx % 3 == 0])
    fe.evaluate_finetune(list(range(12)), y, [split], EvalCfg(), timer, progress=False, bank=Bank(), classifier="knn")
    assert "predict knn" in timer.stages

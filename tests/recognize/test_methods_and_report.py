"""Evaluation methods on synthetic features, the report files, and the CLI's JSON contract."""
import json

import numpy as np
import pytest

from animeid.recognize.config import EvalCfg
from animeid.recognize.evaluation import Split, Timer, evaluate_rows
from animeid.recognize.methods import fit_method


def blobs(rng, n_classes=4, per=20, dim=12, spread=0.6):
    centres = rng.normal(size=(n_classes, dim))
    x = np.repeat(centres, per, axis=0) + spread * rng.normal(size=(n_classes * per, dim))
    y = [f"k{i}" for i in range(n_classes) for _ in range(per)]
    return x.astype(np.float32), y


@pytest.mark.parametrize("method", ["baseline", "knn", "linear", "svm", "classical:lr", "classical:nb",
                                    "classical:cart"])
def test_methods_learn_separable_blobs(method, rng):
    x, y = blobs(rng)
    perm = rng.permutation(len(y))
    tr, te = perm[:60], perm[60:]
    fitted = fit_method(method, x[tr], [y[i] for i in tr], EvalCfg())
    pred = fitted.predict(x[te])
    assert np.mean([p == y[i] for p, i in zip(pred, te)]) >= 0.9
    assert fitted.scores(x[te]).shape == (20, 4)


def test_unknown_method_is_a_clear_error(rng):
    from animeid.errors import AnimeidError

    x, y = blobs(rng)
    with pytest.raises(AnimeidError, match="unknown"):
        fit_method("magic", x, y)
    with pytest.raises(AnimeidError, match="classical model"):
        fit_method("classical:xgboost", x, y)


def test_evaluate_rows_and_report(tmp_path, rng):
    from animeid.evaluate.report import write_report
    from animeid.evaluate import metrics

    x, y = blobs(rng, per=15)
    idx = np.arange(len(y))
    splits = [Split(idx[idx % 3 != k], idx[idx % 3 == k]) for k in range(3)]
    timer = Timer()
    r = evaluate_rows("knn", x, y, splits, EvalCfg(), timer, "knn")
    assert r["n"] == 60 and r["accuracy"] >= 0.9 and r["top5_accuracy"] == 1.0
    cm, labs = metrics.confusion_matrix(r["truth"], r["pred"], sorted(set(y)))
    result = {"method": "knn", "data": "synthetic", "metrics": {k: v for k, v in r.items() if k not in ("truth", "pred")},
              "baseline": {"accuracy": 0.5, "top5_accuracy": 1.0, "macro_f1": 0.5},
              "baseline_description": "test", "per_class": metrics.per_class_prf(r["truth"], r["pred"]),
              "confusion": {"labels": labs, "rows_predicted_cols_true": cm.tolist()},
              "timings_seconds": timer.stages, "_plot": {"x": x, "labels": y}}
    written = write_report(result, tmp_path / "rep")
    for key in ("json", "markdown", "confusion.png", "tsne_2d.png", "tsne_3d.png"):
        assert written[key].exists() and written[key].stat().st_size > 100
    saved = json.loads(written["json"].read_text())
    assert saved["confusion"]["rows_predicted_cols_true"] == cm.tolist()
    assert "fit knn" in saved["timings_seconds"] and "report" in saved["timings_seconds"]
    md = written["markdown"].read_text()
    assert "| **knn** |" in md and "baseline" in md and "![t-SNE 3-D](tsne_3d.png)" in md


def test_cli_identify_json_contract(tmp_path, colour_gallery, test_cfg, capsys):
    from animeid.cli.main import main
    from animeid.recognize.recognizer import Recognizer

    rec = Recognizer.create(tmp_path / "db", "character", cfg=test_cfg)
    for d in sorted(colour_gallery.iterdir()):
        rec.enroll(d.name, sorted(d.iterdir()), refit=False)
    rec.refit()
    rec.close()
    good = sorted((colour_gallery / "green").iterdir())[0]
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8 nope")
    code = main(["identify", str(good), str(bad), "--db", str(tmp_path / "db"), "--k", "2", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1  # one input failed
    assert [set(o) for o in out] == [{"image", "results", "error"}] * 2
    assert out[0]["error"] is None and out[0]["results"][0]["label"] == "green"
    assert all(set(r) == {"label", "score"} for r in out[0]["results"])
    assert out[1]["results"] == [] and "broken.jpg" in out[1]["error"]

    code = main(["identify", str(good), "--db", str(tmp_path / "db"), "--faces", "--json"])
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert code == 0 and [set(o) for o in out] == [{"image", "faces", "error"}]
    assert out[0]["faces"][0]["box"] is None and set(out[0]["faces"][0]) == {"box", "results"}
    assert "no face found" in captured.err


def test_cli_enroll_errors(tmp_path, capsys):
    from animeid.cli.main import main

    (tmp_path / "empty" / "label").mkdir(parents=True)
    assert main(["enroll", str(tmp_path / "empty"), "--db", str(tmp_path / "db")]) == 2
    assert "no labelled images" in capsys.readouterr().err
    assert main(["identify", "x.png", "--db", str(tmp_path / "nodb")]) == 2
    assert "nodb: no such folder; create one with `animeid enroll" in capsys.readouterr().err


def test_knn_searches_neighbours_after_removing_the_training_mean():
    """Worked by hand: training mean (9.5, 0). Raw cosine puts the query (10.5, -0.2) nearest to
    b's (9, -1) (5.2 degrees apart, a's (10, 1) is 6.8); centred, the query (1, -0.2) has cosine
    +0.26 with a's (0.5, 1) and -0.26 with b's (-0.5, -1), so the answer is a."""
    from animeid.recognize.methods import build_knn

    x = np.array([[10, 1.0], [10, 2.0], [9, -1.0], [9, -2.0]])
    y = ["a", "a", "b", "b"]
    q = np.array([[10.5, -0.2]])
    raw = x / np.linalg.norm(x, axis=1, keepdims=True)
    assert y[int(np.argmax(raw @ (q[0] / np.linalg.norm(q[0]))))] == "b"
    pipe, grid = build_knn(EvalCfg())
    assert grid["centre__with_std"] == [False, True]
    pipe.set_params(centre__with_std=False, clf__n_neighbors=1, clf__weights="uniform")
    assert list(pipe.fit(x, y).predict(q)) == ["a"]


@pytest.mark.parametrize("method", ["knn", "classical:knn"])
def test_knn_grid_keeps_only_neighbour_counts_the_folds_can_supply(method):
    from animeid.recognize.methods import fit_method

    # 2 labels x 4 rows, 3 inner folds: an inner training fold holds 8 - ceil(8/3) = 5 rows
    x = np.array([[1.0, 0.1 * i] for i in range(4)] + [[0.1 * i, 1.0] for i in range(4)])
    y = ["a"] * 4 + ["b"] * 4
    fitted = fit_method(method, x, y, EvalCfg(inner_folds=3))
    assert fitted.chosen["clf__n_neighbors"] <= 5
    assert fitted.predict(np.array([[1.0, 0.0], [0.0, 1.0]])) == ["a", "b"]


def test_classical_headline_is_chosen_on_inner_folds_not_on_the_test_rows():
    from animeid.recognize.evaluation import headline_row

    table = [{"model": "cart", "features": "hand", "inner_cv_accuracy": 0.60, "test_accuracy": 0.95},
             {"model": "lr", "features": "cnn (frozen Lite0)", "inner_cv_accuracy": 0.90, "test_accuracy": 0.85},
             {"model": "nb", "features": "cnn (frozen Lite0)", "inner_cv_accuracy": 0.70, "test_accuracy": 0.90}]
    assert headline_row(table)["model"] == "lr"
    unscored = [{**r, "inner_cv_accuracy": None} for r in table]
    assert headline_row(unscored)["model"] == "lr"  # S2's pairing when no inner fold was possible


def test_fitted_methods_report_their_inner_fold_accuracy(rng):
    x, y = blobs(rng, per=15)
    fitted = fit_method("classical:lr", x, y)
    assert 0.9 <= fitted.cv_score <= 1.0
    assert fit_method("baseline", x, y).cv_score is None  # nothing searched (None: JSON has no NaN)


def test_eval_report_path_is_checked_before_evaluating(tmp_path, capsys, monkeypatch):
    from animeid.cli.main import main
    import animeid.recognize.evaluation as evaluation

    monkeypatch.setattr(evaluation, "run_eval", lambda *a, **k: pytest.fail("evaluated before checking --report"))
    (tmp_path / "afile").write_text("x")
    for report in (tmp_path / "afile", tmp_path / "afile" / "sub"):
        assert main(["eval", "--train", str(tmp_path), "--folds", "2", "--report", str(report)]) == 2
        assert capsys.readouterr().err.startswith("animeid: error: --report")

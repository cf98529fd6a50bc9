"""`animeid train classifier`: S2's schedule through the same trainer, normalised with the dataset's
own statistics, and exportable as an embedder (pooled backbone features)."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

sys.path.insert(0, str(Path(__file__).parent))
from make_media import write_image_classes  # noqa: E402

from animeid.cli.main import main  # noqa: E402
from animeid.train.cached_splits import dataset_mean_std  # noqa: E402


def test_dataset_mean_std_by_hand():
    a = np.zeros((2, 2, 3), np.uint8)
    b = np.full((2, 2, 3), 255, np.uint8)
    mean, std = dataset_mean_std([a, b])
    assert mean == pytest.approx((0.5, 0.5, 0.5)) and std == pytest.approx((0.5, 0.5, 0.5))


def test_train_classifier_then_export(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ANIMEID_EMBEDDERS", str(tmp_path / "embedders"))
    data = write_image_classes(tmp_path / "d", classes=3, per_class=5)
    out = tmp_path / "clf"
    code = main(["train", "classifier", str(data), "--out", str(out), "--epochs", "2", "--steps-per-epoch", "2",
                 "--freeze-blocks", "15", "--views", "1", "--device", "cpu"])
    assert code == 0
    meta = json.loads((out / "model.json").read_text())
    assert meta["arch"]["kind"] == "classifier" and meta["arch"]["classes"] == 3
    assert meta["cfg"]["trainer"]["optimizer"] == "sgd" and meta["cfg"]["trainer"]["momentum"] == 0.9
    assert meta["cfg"]["trainer"]["lr"] == 0.001 and meta["cfg"]["trainer"]["step_every"] == 7
    assert meta["input"]["mean"] != [0.5, 0.5, 0.5]  # the dataset's own statistics
    assert 0.0 <= meta["val"]["accuracy"] <= 1.0
    assert main(["export", str(out), "--name", "tiny-clf"]) == 0
    from animeid.features.registry import create_embedder

    emb = create_embedder("tiny-clf").embed([np.zeros((40, 40, 3), np.uint8)])
    assert emb.shape == (1, 1280) and abs(float(np.linalg.norm(emb)) - 1) < 1e-5


def test_resume_checks_the_dataset_and_settings(tmp_path, capsys):
    """Re-running into a finished run's folder with another dataset used to print "resumed
    train.ckpt", train nothing, and relabel model.json with the new dataset's classes."""
    first = write_image_classes(tmp_path / "d1", classes=3, per_class=5, size=32)
    second = write_image_classes(tmp_path / "d2", classes=3, per_class=5, size=32)
    for i, d in enumerate(sorted(second.iterdir())):
        d.rename(second / f"other{i}")
    out = tmp_path / "cx"
    base = ["--out", str(out), "--epochs", "1", "--steps-per-epoch", "2", "--freeze-blocks", "15", "--views", "1",
            "--device", "cpu"]
    assert main(["train", "classifier", str(first), *base]) == 0
    model_json = (out / "model.json").read_text()
    capsys.readouterr()
    assert main(["train", "classifier", str(second), *base]) == 2
    err = capsys.readouterr().err
    assert "train.ckpt was trained on other data (classes class0, class1, class2; this dataset: other0" in err
    assert "--restart" in err and err.count("\n") == 1
    for flag, value, shown in [("--lr", "0.01", "--lr 0.001 -> 0.01"), ("--step-every", "3", "--step-every 7 -> 3"),
                               ("--seed", "1", "--seed 0 -> 1")]:
        assert main(["train", "classifier", str(first), *base, flag, value]) == 2
        assert f"other settings ({shown})" in capsys.readouterr().err
    assert (out / "model.json").read_text() == model_json
    # a larger --epochs (and another device) continues the same run
    more = list(base)
    more[more.index("--epochs") + 1] = "2"
    more[more.index("--device") + 1] = "auto"
    assert main(["train", "classifier", str(first), *more]) == 0
    assert "resumed train.ckpt at step 2 (epoch 1)" in capsys.readouterr().out
    meta = json.loads((out / "model.json").read_text())
    assert len(meta["history"]["train"]["train_loss"]) == 2 and meta["classes"] == ["class0", "class1", "class2"]

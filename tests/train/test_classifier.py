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

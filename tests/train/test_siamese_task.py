"""Siamese validation needs a same-class pair. With small classes (<= 9 images at a 0.15 hold-out)
each class keeps at most one validation image, every validation pair is a negative, the loss is 0
every epoch, and plateau and early stopping used to fire on it. Such a split is not made: the run
trains on every image, watches the training loss and says so."""
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

sys.path.insert(0, str(Path(__file__).parent))
from make_media import write_image_classes  # noqa: E402

from animeid.cli.main import main  # noqa: E402
from animeid.train.config import SiameseCfg  # noqa: E402
from animeid.train.siamese_task import SiameseTask, has_same_class_pair, siamese_val_fraction  # noqa: E402


def test_has_same_class_pair():
    assert not has_same_class_pair([])
    assert not has_same_class_pair([0, 1, 2])
    assert has_same_class_pair([0, 1, 1])


def test_validation_share_is_dropped_only_without_a_same_class_pair():
    small = np.repeat([0, 1, 2], 5)  # round(5 * 0.15) = 1 validation image per class
    fraction, why = siamese_val_fraction(small, 0.15, seed=0)
    assert fraction == 0.0 and "no class with 2 validation images" in why
    large = np.repeat([0, 1, 2], 20)  # 3 validation images per class
    assert siamese_val_fraction(large, 0.15, seed=0) == (0.15, None)
    assert siamese_val_fraction(small, 0.0, seed=0) == (0.0, None)


def test_task_without_a_positive_validation_pair_reports_no_validation():
    cfg = replace(SiameseCfg(), classes_per_batch=2, images_per_class=2)
    task = SiameseTask(None, None, [0, 0, 1, 1], None, [0, 1], cfg, "finetune")
    assert task.val_pairs is None
    assert np.isnan(task.validate()["loss"])


def test_small_classes_train_on_everything_and_watch_the_training_loss(tmp_path, capsys):
    data = write_image_classes(tmp_path / "d", classes=3, per_class=5, size=32)
    out = tmp_path / "m"
    assert main(["train", "siamese", str(data), "--out", str(out), "--epochs", "2", "--warmup-epochs", "1",
                 "--steps-per-epoch", "2", "--views", "1", "--freeze-blocks", "15", "--dim", "8",
                 "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    assert "validation: a 0.15 hold-out leaves no class with 2 validation images" in printed
    assert "(no validation split)" in printed
    assert "validation: none (a 0.15 hold-out" in printed.splitlines()[-2]
    meta = json.loads((out / "model.json").read_text())
    assert "no same-class pair" in meta["validation_note"]
    for stage in ("warmup", "finetune"):
        h = meta["history"][stage]
        assert h["val_loss"] == h["train_loss"] and np.isfinite(h["train_loss"]).all()

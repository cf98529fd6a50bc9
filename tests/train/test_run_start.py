"""`train --out`: checked before anything is created. A file, a folder holding something else (a
user's files, a planted model.json, another kind of run), a folder inside the dataset and a bad
dataset are refused with one line, leave no folder behind, and change nothing that was there."""
import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

sys.path.insert(0, str(Path(__file__).parent))
from make_media import write_image_classes  # noqa: E402

from animeid.cli.main import main  # noqa: E402
from animeid.errors import AnimeidError  # noqa: E402
from animeid.train.run_start import check_out_folder  # noqa: E402


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_image_classes(tmp_path_factory.mktemp("imgs") / "data", classes=2, per_class=3, size=32)


def refused(args, capsys) -> str:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("animeid: error: ") and err.count("\n") == 1, err
    return err


def test_out_is_a_file(data, tmp_path, capsys):
    (tmp_path / "afile").write_text("mine")
    err = refused(["train", "classifier", str(data), "--out", str(tmp_path / "afile")], capsys)
    assert "exists and is not a folder" in err
    assert (tmp_path / "afile").read_text() == "mine"


def test_unrelated_non_empty_folder_keeps_its_files(data, tmp_path, capsys):
    out = tmp_path / "docs"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    planted = json.dumps({"arch": {"kind": "siamese"}, "mine": True})
    (out / "model.json").write_text(planted)
    err = refused(["train", "siamese", str(data), "--out", str(out)], capsys)
    assert "not empty and not an `animeid train siamese` folder (it holds 'notes.txt')" in err
    assert sorted(p.name for p in out.iterdir()) == ["model.json", "notes.txt"]
    assert (out / "model.json").read_text() == planted


def test_planted_or_other_kind_model_json_is_refused(data, tmp_path):
    out = tmp_path / "m"
    out.mkdir()
    (out / "model.json").write_text("not json")
    with pytest.raises(AnimeidError, match="a model.json that is not an animeid model"):
        check_out_folder(out, data, "siamese", restart=True)
    (out / "model.json").write_text(json.dumps({"arch": {"kind": "classifier"}}))
    with pytest.raises(AnimeidError, match="holds a classifier model, not a siamese model"):
        check_out_folder(out, data, "siamese", restart=True)
    (out / "model.json").unlink()
    (out / "train.ckpt").write_bytes(b"x")
    with pytest.raises(AnimeidError, match="another kind of training run .train.ckpt."):
        check_out_folder(out, data, "siamese", restart=False)


def test_finished_model_without_checkpoints_needs_restart(data, tmp_path):
    out = tmp_path / "m"
    out.mkdir()
    (out / "model.json").write_text(json.dumps({"arch": {"kind": "siamese"}}))
    (out / "model.pt").write_bytes(b"weights")
    with pytest.raises(AnimeidError, match="already holds a trained model and no checkpoint.*--restart"):
        check_out_folder(out, data, "siamese", restart=False)
    check_out_folder(out, data, "siamese", restart=True)
    (out / "finetune.ckpt").write_bytes(b"x")  # a run to resume
    check_out_folder(out, data, "siamese", restart=False)


def test_out_inside_the_dataset_is_refused(data, capsys):
    err = refused(["train", "siamese", str(data), "--out", str(data / "model")], capsys)
    assert "is inside the dataset" in err
    assert not (data / "model").exists()
    with pytest.raises(AnimeidError, match="inside the dataset"):
        check_out_folder(data, data, "classifier", restart=False)


def test_a_bad_dataset_leaves_no_output_folder(tmp_path, capsys):
    err = refused(["train", "classifier", str(tmp_path / "missing"), "--out", str(tmp_path / "new" / "m")], capsys)
    assert "no such dataset folder" in err
    assert not (tmp_path / "new").exists()

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


def model_json(kind: str, **extra) -> str:
    """As animeid writes it (only a model.json with all of these marks a folder as a run)."""
    return json.dumps({"arch": {"kind": kind}, "input": {}, "classes": [], "cfg": {}, "history": {}, **extra})


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
    planted = model_json("siamese", mine=True)
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
    (out / "model.json").write_text(model_json("classifier"))
    with pytest.raises(AnimeidError, match="holds a classifier model, not a siamese model"):
        check_out_folder(out, data, "siamese", restart=True)
    (out / "model.json").unlink()
    (out / "train.ckpt").write_bytes(b"x")
    with pytest.raises(AnimeidError, match="another kind of training run .train.ckpt."):
        check_out_folder(out, data, "siamese", restart=False)


def test_finished_model_without_checkpoints_needs_restart(data, tmp_path):
    out = tmp_path / "m"
    out.mkdir()
    (out / "model.json").write_text(model_json("siamese"))
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


def test_users_own_model_pt_cache_and_dotfiles_are_not_a_run(data, tmp_path, capsys):
    """Names alone prove nothing: a model.pt, a cache folder and a .env that are the user's."""
    out = tmp_path / "myproj"
    (out / "cache").mkdir(parents=True)
    (out / "model.pt").write_text("my precious weights")
    (out / "cache" / "README").write_text("notes")
    (out / ".env").write_text("s")
    err = refused(["train", "siamese", str(data), "--out", str(out), "--epochs", "1"], capsys)
    assert "not empty and not an `animeid train siamese` folder (it holds '.env')" in err
    assert (out / "model.pt").read_text() == "my precious weights"
    assert sorted(p.name for p in out.iterdir()) == [".env", "cache", "model.pt"]
    (out / ".env").unlink()
    with pytest.raises(AnimeidError, match="it holds 'cache'"):
        check_out_folder(out, data, "siamese", restart=True)
    (out / "cache" / "README").unlink()
    with pytest.raises(AnimeidError, match="it holds 'model.pt'"):
        check_out_folder(out, data, "siamese", restart=True)


def test_home_like_folder_of_dotfiles_is_refused(data, tmp_path):
    out = tmp_path / "home"
    (out / ".ssh").mkdir(parents=True)
    (out / ".bashrc").write_text("alias")
    with pytest.raises(AnimeidError, match="it holds '.bashrc'"):
        check_out_folder(out, data, "classifier", restart=False)


def test_checkpoint_named_file_that_is_not_animeids_is_refused(data, tmp_path):
    out = tmp_path / "m"
    out.mkdir()
    (out / "finetune.ckpt").write_bytes(b"someone's")
    with pytest.raises(AnimeidError, match="it holds 'finetune.ckpt'"):
        check_out_folder(out, data, "siamese", restart=True)


def test_new_empty_and_interrupted_runs_are_accepted(data, tmp_path):
    from animeid.train.checkpoint import save_checkpoint

    check_out_folder(tmp_path / "new", data, "siamese", restart=False)
    out = tmp_path / "m"
    out.mkdir()
    check_out_folder(out, data, "siamese", restart=False)
    (out / "cache").mkdir()  # killed while caching activations
    (out / "cache" / "train-activations.pt").write_bytes(b"acts")
    (out / "cache" / "tmpab12_x9z.tmp").write_bytes(b"half")
    check_out_folder(out, data, "siamese", restart=False)
    save_checkpoint({"arch": {"kind": "siamese", "stage": "warmup"}, "step": 3}, out / "warmup.ckpt")
    (out / "finetune.ckptq1w2e3r4.tmp").write_bytes(b"half")  # killed while writing a checkpoint
    (out / "model.pt").write_bytes(b"w")  # killed between model.pt and model.json
    check_out_folder(out, data, "siamese", restart=False)

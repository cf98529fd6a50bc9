"""End to end on a tiny generated dataset: train a Siamese model (warm-up + fine-tuning on cached
activations), export one branch, register it, and embed with it through create_embedder and the CLI.
Also the bad inputs of training: a class with one image, an empty split, a corrupt image, and a
checkpoint from another architecture."""
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

sys.path.insert(0, str(Path(__file__).parent))
from make_media import write_image_classes, write_video  # noqa: E402

from animeid.cli.main import main  # noqa: E402
from animeid.errors import AnimeidError  # noqa: E402
from animeid.train.config import SiameseCfg, TrainerCfg  # noqa: E402

TINY = SiameseCfg(dim=16, freeze_blocks=15, augmented_views=1, classes_per_batch=3, images_per_class=2,
                  val_fraction=0.34, warmup_epochs=1,
                  trainer=TrainerCfg(epochs=2, steps_per_epoch=3, checkpoint_every=2, device="cpu"))


@pytest.fixture(scope="module", autouse=True)
def private_embedders(tmp_path_factory):
    """Registered embedders go to a temp folder, never the user's."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANIMEID_EMBEDDERS", str(tmp_path_factory.mktemp("embedders")))
        yield


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_image_classes(tmp_path_factory.mktemp("imgs") / "data", classes=3, per_class=6)


@pytest.fixture(scope="module")
def trained(data, tmp_path_factory):
    from animeid.train.siamese_training import train_siamese

    out = tmp_path_factory.mktemp("model") / "m"
    meta = train_siamese(data, out, TINY, log=lambda s: None)
    return out, meta


def test_training_writes_model_curves_and_history(trained):
    out, meta = trained
    assert (out / "model.pt").is_file() and (out / "loss_curves.png").stat().st_size > 1000
    saved = json.loads((out / "model.json").read_text())
    assert saved["arch"] == {"kind": "siamese", "backbone": "efficientnet-lite0", "dim": 16, "freeze_blocks": 15}
    assert len(saved["history"]["warmup"]["val_loss"]) == 1 and len(saved["history"]["finetune"]["val_loss"]) == 2
    assert 0.0 <= saved["val"]["knn_acc"] <= 1.0 and np.isfinite(saved["val"]["loss"])


def test_prefix_stays_frozen_and_batchnorm_in_inference_mode(trained):
    from animeid.train.lite_embedding_net import lite_network
    from animeid.train.model_file import load_embedding_branch

    branch, _ = load_embedding_branch(trained[0])
    pretrained = lite_network("efficientnet-lite0").state_dict()
    trained_state = branch.net.state_dict()
    assert torch.equal(trained_state["_blocks.3._depthwise_conv.weight"], pretrained["_blocks.3._depthwise_conv.weight"])
    assert not torch.equal(trained_state["_blocks.15._project_conv.weight"], pretrained["_blocks.15._project_conv.weight"])
    # running statistics are never updated, even in the trained blocks
    assert torch.equal(trained_state["_blocks.15._bn2.running_mean"], pretrained["_blocks.15._bn2.running_mean"])
    branch.train()
    assert not branch.training


def test_rerun_resumes_instead_of_retraining(trained, data):
    from animeid.train.siamese_training import train_siamese

    out, meta = trained
    again = train_siamese(data, out, TINY, log=lambda s: None)
    assert again["history"] == json.loads(json.dumps(meta["history"]))


@pytest.fixture(scope="module")
def exported(trained):
    """`animeid export MODEL --name tiny-siamese` (one ONNX export for the tests below)."""
    assert main(["export", str(trained[0]), "--name", "tiny-siamese"]) == 0
    return "tiny-siamese"


def test_export_register_and_embed(trained, data, exported):
    from animeid.features.registry import create_embedder, get_embedder_cfg, list_embedders
    from animeid.media.images import load_image
    from animeid.train.model_file import load_embedding_branch
    assert "tiny-siamese" in list_embedders()
    cfg = get_embedder_cfg("tiny-siamese")
    assert cfg.dim == 16 and cfg.input_size == 224 and cfg.metric == "cosine"
    images = [load_image(p) for p in sorted((data / "class0").iterdir())[:3]]
    emb = create_embedder("tiny-siamese").embed(images)
    assert emb.shape == (3, 16)
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    branch, _ = load_embedding_branch(trained[0])
    embedder = create_embedder("tiny-siamese")
    with torch.no_grad():
        ref = branch(torch.from_numpy(embedder.preprocess(images))).numpy()
    assert np.allclose(emb, ref, atol=1e-4)


def test_index_and_search_with_the_exported_embedder(exported, tmp_path, capsys):
    from PIL import Image

    from make_media import pattern

    write_video(tmp_path / "lib" / "Alpha" / "Alpha - 01.mp4", [1, 2, 3])
    assert main(["index", str(tmp_path / "lib"), "--db", str(tmp_path / "db"), "--embedder", exported,
                 "--fps", "2", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["info", "--db", str(tmp_path / "db")]) == 0
    assert exported in capsys.readouterr().out
    Image.fromarray(pattern(2)).save(tmp_path / "shot.png")
    assert main(["search", str(tmp_path / "shot.png"), "--db", str(tmp_path / "db"), "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)[0]["results"]
    assert hits and hits[0]["title"] == "Alpha"


def test_export_of_a_folder_that_is_not_a_model(tmp_path, capsys):
    assert main(["export", str(tmp_path), "--name", "x"]) == 2
    assert "not a trained model folder" in capsys.readouterr().err


@pytest.mark.parametrize("damage, message", [
    ("[]", "corrupt (no 'arch' object"),
    ('{"arch": {"kind": "siamese"}}', "corrupt (no 'arch' object, or no 'input' object"),
    ("folder", "cannot be read (Is a directory)"),
])
def test_export_of_a_model_json_of_another_shape(trained, tmp_path, capsys, damage, message):
    """Valid JSON without the model's keys (edited by hand, another tool's file), or a folder named
    model.json, failed as a KeyError, TypeError or IsADirectoryError traceback."""
    import shutil

    model = tmp_path / "m"
    shutil.copytree(trained[0], model)
    (model / "model.json").unlink()
    if damage == "folder":
        (model / "model.json").mkdir()
    else:
        (model / "model.json").write_text(damage)
    assert main(["export", str(model), "--name", "damaged"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"animeid: error: {model / 'model.json'}: {message}") and err.count("\n") == 1


def test_checkpoint_from_another_architecture(trained, data, tmp_path):
    from animeid.train.siamese_training import train_siamese

    out = tmp_path / "m"
    with pytest.raises(KeyboardInterrupt):
        train_siamese(data, out, TINY, log=lambda s: None, stop_after_steps=2)
    with pytest.raises(AnimeidError, match="another architecture"):
        train_siamese(data, out, replace(TINY, dim=8), log=lambda s: None)


def test_export_of_a_model_whose_files_disagree_says_to_train_again(trained, tmp_path, capsys):
    """model.json from one run beside model.pt from another: the message told the user to pass
    --restart or use another --out folder, options `export` does not have."""
    import shutil

    model = tmp_path / "m"
    shutil.copytree(trained[0], model)
    meta = json.loads((model / "model.json").read_text())
    meta["arch"]["dim"] = 8
    (model / "model.json").write_text(json.dumps(meta))
    assert main(["export", str(model), "--name", "mixed"]) == 2
    err = capsys.readouterr().err
    assert "another architecture" in err and err.rstrip().endswith(
        "model.json and model.pt do not belong together; train the model again") and "--restart" not in err


def test_class_with_one_image(tmp_path, capsys):
    data = write_image_classes(tmp_path / "d", classes=2, per_class=3)
    for p in list((data / "class1").iterdir())[1:]:
        p.unlink()
    assert main(["train", "siamese", str(data), "--out", str(tmp_path / "m")]) == 2
    assert "class 'class1' has 1 image(s); at least 2 are needed" in capsys.readouterr().err


def test_empty_split(tmp_path, capsys):
    (tmp_path / "d" / "train").mkdir(parents=True)
    (tmp_path / "d" / "test").mkdir()
    assert main(["train", "siamese", str(tmp_path / "d"), "--out", str(tmp_path / "m")]) == 2
    assert "empty split" in capsys.readouterr().err


def test_corrupt_image_is_skipped_with_a_warning(tmp_path, capsys):
    from animeid.train.cached_splits import load_train_images

    data = write_image_classes(tmp_path / "d", classes=2, per_class=3)
    (data / "class0" / "broken.png").write_bytes(b"\x89PNG not really")
    images, kept = load_train_images(data)
    assert len(images) == 6 and len(kept) == 6
    assert "broken.png" in capsys.readouterr().err


def test_enroll_and_identify_with_the_exported_embedder(exported, data, tmp_path, capsys):
    """Model surgery end to end: the exported branch serves a gallery, and another embedder is refused."""
    gallery = tmp_path / "gallery"
    assert main(["enroll", str(data), "--db", str(gallery), "--embedder", exported, "--quiet"]) == 0
    capsys.readouterr()
    query = sorted(data.rglob("*.png"))[0]
    assert main(["identify", str(query), "--db", str(gallery), "--embedder", exported, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)[0]
    assert out["error"] is None and out["results"]
    assert {r["label"] for r in out["results"]} <= {p.name for p in data.iterdir()} | {"unknown"}
    assert main(["identify", str(query), "--db", str(gallery), "--embedder", "efficientnet-lite0"]) == 2
    assert f"built with embedder {exported!r}" in capsys.readouterr().err
    assert main(["enroll", str(data), "--db", str(gallery), "--embedder", "efficientnet-lite0"]) == 2


def test_rerun_with_zero_epochs_keeps_the_trained_model(trained, data, capsys):
    """`--epochs 0 --warmup-epochs 0` used to save an untrained model over the trained one (exit 0)."""
    out = trained[0]
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert main(["train", "siamese", str(data), "--out", str(out), "--epochs", "0", "--warmup-epochs", "0",
                 "--dim", "16", "--freeze-blocks", "15"]) == 2
    assert "--epochs 0: must be a whole number >= 1" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_resume_with_other_settings_or_data_is_refused_before_any_work(trained, data, tmp_path):
    from animeid.train.siamese_training import train_siamese

    out = trained[0]
    before = {p.relative_to(out): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    with pytest.raises(AnimeidError, match=r"warmup.ckpt was trained with other settings \(--margin 1.0 -> 2.0\).*--restart"):
        train_siamese(data, out, replace(TINY, margin=2.0), log=lambda s: None)
    with pytest.raises(AnimeidError, match=r"other settings \(--views 1 -> 2\)"):
        train_siamese(data, out, replace(TINY, augmented_views=2), log=lambda s: None)
    other = write_image_classes(tmp_path / "other", classes=3, per_class=6)
    for i, d in enumerate(sorted(other.iterdir())):
        d.rename(other / f"title{i}")
    with pytest.raises(AnimeidError, match=r"trained on other data \(classes class0, class1, class2; "
                                           r"this dataset: title0, title1, title2\)"):
        train_siamese(other, out, TINY, log=lambda s: None)
    # nothing was touched, not even the activation cache
    assert {p.relative_to(out): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before
    assert json.loads((out / "model.json").read_text())["classes"] == ["class0", "class1", "class2"]


def test_export_never_replaces_an_embedder_silently(trained, exported, capsys):
    from animeid.features.cache import embedders_dir
    from animeid.features.registry import create_embedder

    folder = embedders_dir() / exported
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert main(["export", str(trained[0]), "--name", exported]) == 2
    assert f"an embedder named {exported!r} already exists" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert main(["export", str(trained[0]), "--name", exported, "--force"]) == 0
    assert create_embedder(exported).embed([np.zeros((32, 32, 3), np.uint8)]).shape == (1, 16)
    assert not [p for p in embedders_dir().iterdir() if p.name.startswith(".")]  # no temp folder left


@pytest.mark.parametrize("name", ["efficientnet-lite0", "../evil", "", "a b", ".hidden", "x/y"])
def test_bad_export_names_are_refused_before_exporting(tmp_path, capsys, name):
    from animeid.features.cache import embedders_dir

    # the folder is not even a model: the name is what is checked first
    assert main(["export", str(tmp_path), "--name", name]) == 2
    err = capsys.readouterr().err
    assert "invalid embedder name" in err or "is a built-in embedder" in err or (
        name == "" and "argument 4 is empty" in err)   # refused before export even parses it
    assert not (tmp_path.parent / "evil").exists() and not (embedders_dir().parent / "evil").exists()


def test_longer_warmup_after_fine_tuning_started_is_refused(trained, data):
    """A raised --warmup-epochs used to train a warm-up that was thrown away but recorded in
    model.json's history and the loss curves."""
    from animeid.train.siamese_training import train_siamese

    out = trained[0]
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with pytest.raises(AnimeidError, match=r"finetune.ckpt was trained with other settings \(--warmup-epochs 1 -> 3\); "
                                           r"fine-tuning has started from the warm-up; .*--restart"):
        train_siamese(data, out, replace(TINY, warmup_epochs=3), log=lambda s: None)
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_reported_validation_is_the_kept_epochs(data, tmp_path, monkeypatch):
    """model.pt holds the best epoch's weights; model.json's "val" used to be the last epoch's."""
    from animeid.train import siamese_task
    from animeid.train.siamese_training import train_siamese

    losses = iter([1.0, 0.5, 0.9])  # warm-up, fine-tuning epoch 1 (best), fine-tuning epoch 2
    monkeypatch.setattr(siamese_task.SiameseTask, "validate", lambda self: {"loss": next(losses), "knn_acc": 0.5})
    meta = train_siamese(data, tmp_path / "m", TINY, log=lambda s: None)
    assert meta["val"] == {"loss": 0.5, "knn_acc": 0.5, "epoch": 1}
    assert json.loads((tmp_path / "m" / "model.json").read_text())["val"] == meta["val"]

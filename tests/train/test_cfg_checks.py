"""Bad numeric training options: one `animeid: error:` line and exit 2 before anything is written
(they used to surface as ZeroDivisionError, AttributeError, RuntimeError, AssertionError or, for
`--epochs 0`, as an untrained model saved over a trained one); `--device`, `--backbone` and
`--freeze-blocks` checked before `--out` is created or `--restart` deletes anything."""
import json
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

sys.path.insert(0, str(Path(__file__).parent))
from make_media import write_image_classes  # noqa: E402

from animeid.cli.main import main  # noqa: E402
from animeid.errors import AnimeidError  # noqa: E402
from animeid.train.cfg_checks import LITE_BLOCKS, check_classifier_cfg, check_siamese_cfg  # noqa: E402
from animeid.train.config import ClassifierCfg, SiameseCfg, TrainerCfg  # noqa: E402
from animeid.train.device import resolve_device  # noqa: E402


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_image_classes(tmp_path_factory.mktemp("imgs") / "data", classes=2, per_class=3, size=32)


SIAMESE_BAD = [
    (["--epochs", "0"], "--epochs 0: must be a whole number >= 1"),
    (["--epochs", "-2"], "--epochs -2: must be a whole number >= 1"),
    (["--warmup-epochs", "-1"], "--warmup-epochs -1: must be a whole number >= 0"),
    (["--steps-per-epoch", "0"], "--steps-per-epoch 0: must be a whole number >= 1"),
    (["--checkpoint-every", "0"], "--checkpoint-every 0: must be a whole number >= 1"),
    (["--views", "-1"], "--views -1: must be a whole number >= 0"),
    (["--dim", "-5"], "--dim -5: must be a whole number >= 1"),
    (["--dim", "0"], "--dim 0: must be a whole number >= 1"),
    (["--margin", "-1"], "--margin -1.0: must be a finite number > 0"),
    (["--margin", "nan"], "--margin nan: must be a finite number > 0"),
    (["--val-fraction", "1"], "--val-fraction 1.0: must be in [0, 1)"),
    (["--seed", "-1"], "--seed -1: must be a whole number >= 0"),
    (["--device", "foo"], "--device 'foo': unknown device"),
    (["--seed", "99999999999999999999"], "--seed 99999999999999999999: must be a whole number from 0 to 4294967295"),
    (["--dim", "99999999999999999999"], "--dim 99999999999999999999: must be a whole number from 1 to 65536"),
    (["--views", "99999999999999999999"], "--views 99999999999999999999: must be a whole number from 0 to 100"),
]
CLASSIFIER_BAD = [
    (["--epochs", "0"], "--epochs 0: must be a whole number >= 1"),
    (["--epochs", "-2"], "--epochs -2: must be a whole number >= 1"),
    (["--lr", "-1"], "--lr -1.0: must be a finite number > 0"),
    (["--lr", "inf"], "--lr inf: must be a finite number > 0"),
    (["--step-every", "-1"], "--step-every -1: must be a whole number >= 0"),
    (["--views", "-1"], "--views -1: must be a whole number >= 0"),
    (["--steps-per-epoch", "0"], "--steps-per-epoch 0: must be a whole number >= 1"),
    (["--seed", "99999999999999999999"], "--seed 99999999999999999999: must be a whole number from 0 to 4294967295"),
    (["--views", "99999999999999999999"], "--views 99999999999999999999: must be a whole number from 0 to 100"),
]


@pytest.mark.parametrize("command,args,message", [("siamese", a, m) for a, m in SIAMESE_BAD]
                         + [("classifier", a, m) for a, m in CLASSIFIER_BAD])
def test_bad_numbers_are_one_line_errors_and_write_nothing(data, tmp_path, capsys, command, args, message):
    out = tmp_path / "m"
    assert main(["train", command, str(data), "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"animeid: error: {message}") and err.count("\n") == 1
    assert not out.exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_a_gpu_is_refused_before_training(data, tmp_path, capsys):
    assert main(["train", "classifier", str(data), "--out", str(tmp_path / "m"), "--device", "cuda"]) == 2
    assert "--device cuda: no CUDA GPU is available here" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_resolve_device():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda", "mps")
    for bad in ("foo", "meta", "cuda:x"):
        with pytest.raises(AnimeidError, match="unknown device"):
            resolve_device(bad)


def test_defaults_pass_and_api_calls_are_checked_too():
    check_siamese_cfg(SiameseCfg())
    check_classifier_cfg(ClassifierCfg())
    check_siamese_cfg(SiameseCfg(warmup_epochs=0))  # no warm-up is a valid choice
    with pytest.raises(AnimeidError, match="--epochs 0"):
        check_classifier_cfg(ClassifierCfg(trainer=TrainerCfg(epochs=0)))
    with pytest.raises(AnimeidError, match="images_per_class 1"):
        check_siamese_cfg(SiameseCfg(images_per_class=1))


# A bad --backbone or --freeze-blocks is refused before --out is created and before --restart
# deletes checkpoints: both were only caught when the network was built, after both.

@pytest.mark.parametrize("kind", ["siamese", "classifier"])
def test_unknown_backbone_leaves_no_folder(data, tmp_path, capsys, kind):
    out = tmp_path / "fresh"
    assert main(["train", kind, str(data), "--out", str(out), "--backbone", "efficientnet-lite9", "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("animeid: error: ") and err.count("\n") == 1, err
    assert "--backbone 'efficientnet-lite9': unknown backbone; trainable backbones: efficientnet-lite0" in err
    assert not out.exists()


@pytest.mark.parametrize("kind, ckpts", [("siamese", ["finetune.ckpt", "warmup.ckpt"]), ("classifier", ["train.ckpt"])])
def test_restart_with_too_many_frozen_blocks_keeps_the_checkpoints(data, tmp_path, capsys, kind, ckpts):
    out = tmp_path / "m"
    out.mkdir()
    (out / "model.json").write_text(json.dumps({"arch": {"kind": kind}, "input": {}, "classes": [], "cfg": {},
                                                "history": {}}))
    for name in ckpts:
        (out / name).write_bytes(b"run")
    assert main(["train", kind, str(data), "--out", str(out), "--restart", "--freeze-blocks", "99"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("animeid: error: ") and err.count("\n") == 1, err
    assert "--freeze-blocks 99: must be a whole number from 0 to 16 (the blocks of efficientnet-lite0)" in err
    assert sorted(p.name for p in out.iterdir()) == sorted(["model.json", *ckpts])


def test_block_counts_match_the_networks():
    pytest.importorskip("efficientnet_lite_pytorch")
    from efficientnet_lite_pytorch import EfficientNet

    assert {v: len(EfficientNet.from_name(v, num_classes=10)._blocks) for v in LITE_BLOCKS} == LITE_BLOCKS

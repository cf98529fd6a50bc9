"""A bad --backbone or --freeze-blocks is refused before --out is created and before --restart
deletes a run's checkpoints (it used to be found only when the network was built)."""
import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

sys.path.insert(0, str(Path(__file__).parent))
from make_media import write_image_classes  # noqa: E402

from animeid.cli.main import main  # noqa: E402
from animeid.train.cfg_checks import LITE_BLOCKS  # noqa: E402


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_image_classes(tmp_path_factory.mktemp("imgs") / "data", classes=2, per_class=3, size=32)


def refused(args, capsys) -> str:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("animeid: error: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("kind", ["siamese", "classifier"])
def test_unknown_backbone_leaves_no_folder(data, tmp_path, capsys, kind):
    out = tmp_path / "fresh"
    err = refused(["train", kind, str(data), "--out", str(out), "--backbone", "efficientnet-lite9",
                   "--epochs", "1"], capsys)
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
    err = refused(["train", kind, str(data), "--out", str(out), "--restart", "--freeze-blocks", "99"], capsys)
    assert "--freeze-blocks 99: must be a whole number from 0 to 16 (the blocks of efficientnet-lite0)" in err
    assert sorted(p.name for p in out.iterdir()) == sorted(["model.json", *ckpts])


def test_block_counts_match_the_networks():
    pytest.importorskip("efficientnet_lite_pytorch")
    from efficientnet_lite_pytorch import EfficientNet

    assert {v: len(EfficientNet.from_name(v, num_classes=10)._blocks) for v in LITE_BLOCKS} == LITE_BLOCKS

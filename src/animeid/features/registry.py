"""Embedders by name, timm-style: `create_embedder("efficientnet-lite0")`.

Built-in backbones register themselves in `builtin.py`; embedders a user exported with
`animeid export` are found in the embedders folder (one sub-folder each with `embedder.json` and
`model.onnx`), so a locally trained or third-party checkpoint plugs in without code changes.

A user folder can be damaged (a file deleted or truncated, `embedder.json` edited by hand): using
it is then a one-line error naming the embedder, and listing embedders shows it as broken rather
than failing for all of them. Registering is atomic and never replaces an existing name unless
asked to, since every index and gallery built with an embedder depends on it staying the same."""
from __future__ import annotations

import importlib
import inspect
import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from animeid.config import EmbedderCfg
from animeid.errors import AnimeidError
from animeid.features.cache import embedders_dir
from animeid.features.embedder import Embedder
from animeid.output_folders import remove_path


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
        importlib.import_module("animeid.features.builtin")  # registers on import


# Names a new embedder may take: a plain folder name, never a path or a hidden (temp) folder, and
# not starting with '-' (it would read as an option on the command line).
NAME_RULE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _user_folder(name: str) -> Path | None:
    if not name or "/" in name or "\\" in name or name.startswith(".") or "\0" in name:
        return None
    folder = embedders_dir() / name
    return folder if folder.is_dir() else None


def _damaged(folder: Path, reason: str) -> AnimeidError:
    return AnimeidError(f"embedder {folder.name!r} is damaged: {reason}; re-export it "
                        f"(animeid export MODEL --name {folder.name} --force)")


def user_embedder_cfg(folder: Path) -> EmbedderCfg:
    """The config in `folder/embedder.json`; a damaged folder is an AnimeidError naming it."""
    path = Path(folder) / "embedder.json"
    try:
        meta = json.loads(path.read_text())
        cfg = EmbedderCfg.from_dict(meta["cfg"])
    except FileNotFoundError:
        raise _damaged(folder, f"{path} is missing") from None
    except OSError as exc:
        raise _damaged(folder, f"cannot read {path} ({exc.strerror or exc})") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        what = ("is not valid JSON" if isinstance(exc, json.JSONDecodeError)
                else f"has no valid config ({type(exc).__name__}: {exc})")
        raise _damaged(folder, f"{path} {what}") from None
    sane = (isinstance(cfg.input_size, int) and cfg.input_size > 0 and isinstance(cfg.dim, int) and cfg.dim > 0
            and len(cfg.mean) == 3 and len(cfg.std) == 3 and cfg.metric in ("cosine", "l2"))
    if not sane:
        raise _damaged(folder, f"{path} has an implausible config (input_size {cfg.input_size!r}, dim {cfg.dim!r}, "
                               f"metric {cfg.metric!r})")
    model = folder / "model.onnx"
    if not model.is_file():
        raise _damaged(folder, f"{model} is missing")
    registered = meta.get("onnx_bytes")
    if isinstance(registered, int) and model.stat().st_size != registered:
        # a size check costs nothing, so listing and every use catch a truncated or swapped graph
        raise _damaged(folder, f"{model} is {model.stat().st_size} bytes, {registered} when it was registered "
                               "(truncated or replaced)")
    return cfg


def has_size_record(folder: Path) -> bool:
    """Whether `folder/embedder.json` records the graph's size (embedders registered since it did);
    older folders can only be checked by loading the graph."""
    try:
        return isinstance(json.loads((Path(folder) / "embedder.json").read_text()).get("onnx_bytes"), int)
    except (OSError, ValueError, AttributeError):
        return False


def list_embedders() -> list[str]:
    """Built-in and user embedder names, damaged user folders included (they fail when used)."""
    _load_builtins()
    users = [p.name for p in embedders_dir().iterdir() if p.is_dir() and _user_folder(p.name) is not None]
    return sorted(set(_REGISTRY) | set(users))


def _unknown(name: str) -> AnimeidError:
    """Most often an exported embedder whose folder went with a cleaned cache: say where it was
    looked for and how it comes back, not just that the name is unknown."""
    return AnimeidError(f"unknown embedder {name!r}: not built in, and no folder {name!r} in {embedders_dir()} "
                        "(re-export it there with `animeid export`, or set ANIMEID_EMBEDDERS to the folder that "
                        f"holds it); known: {', '.join(list_embedders())}")


def get_embedder_cfg(name: str) -> EmbedderCfg:
    """The typed config of an embedder, without loading (or exporting) the network."""
    _load_builtins()
    if name in _REGISTRY:
        return _REGISTRY[name].cfg()
    folder = _user_folder(name)
    if folder is not None:
        return user_embedder_cfg(folder)
    raise _unknown(name)


def create_embedder(name: str = "efficientnet-lite0", **kwargs) -> Embedder:
    _load_builtins()
    if name in _REGISTRY:
        factory = _REGISTRY[name].factory
        try:   # a caller's bad keyword, said as theirs: not a TypeError naming an inner factory
            inspect.signature(factory).bind(**kwargs)
        except TypeError as exc:
            raise AnimeidError(f"create_embedder({name!r}): {exc}") from None
        return factory(**kwargs)
    folder = _user_folder(name)
    if folder is not None:
        from animeid.features.onnx_backbone import OnnxEmbedder

        cfg = user_embedder_cfg(folder)
        try:
            return OnnxEmbedder(cfg, folder / "model.onnx", **kwargs)
        except (ImportError, TypeError):
            raise  # onnxruntime missing, or a caller's bad keyword: not the folder's fault
        except Exception as exc:  # onnxruntime's errors (NoSuchFile, InvalidProtobuf, ...) share no base class
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            reason = f"{folder / 'model.onnx'} cannot be loaded ({type(exc).__name__}: {first})"
            raise _damaged(folder, reason) from None
    raise _unknown(name)


def check_embedder_name(name: str, force: bool = False) -> Path:
    """The folder a new embedder `name` goes to; refused when the name is not a plain safe folder
    name, is built in, or is taken (unless `force`). Called before any (slow) ONNX export."""
    if not isinstance(name, str) or not NAME_RULE.fullmatch(name):
        raise AnimeidError(f"invalid embedder name {name!r}: use 1-64 letters, digits, '.', '_' or '-', "
                           "starting with a letter or digit")
    _load_builtins()
    if name in _REGISTRY:
        raise AnimeidError(f"{name!r} is a built-in embedder; choose another name")
    folder = embedders_dir() / name
    if (folder.exists() or folder.is_symlink()) and not force:
        raise AnimeidError(f"an embedder named {name!r} already exists ({folder}); indexes built with it would "
                           "stop matching if it were replaced: choose another --name, or pass --force to replace it")
    return folder


def register_onnx_embedder(name: str, onnx_file: Path, cfg: EmbedderCfg, extra: dict | None = None,
                           force: bool = False) -> Path:
    """Install an ONNX graph as a named embedder in the user's embedders folder: written to a
    hidden temp folder and renamed into place, so a failure leaves no half-written embedder."""
    folder = check_embedder_name(name, force)
    root = folder.parent
    tmp = root / f".{name}-new-{uuid.uuid4().hex[:8]}"  # hidden: never listed; mkdir keeps the umask
    old = None
    try:
        tmp.mkdir()
        shutil.copyfile(onnx_file, tmp / "model.onnx")
        size = (tmp / "model.onnx").stat().st_size
        (tmp / "embedder.json").write_text(json.dumps({"cfg": cfg.to_dict(), **(extra or {}), "onnx_bytes": size},
                                                      indent=2))
        if force and (folder.exists() or folder.is_symlink()):
            old = root / f".{name}-old-{uuid.uuid4().hex[:8]}"
            os.rename(folder, old)
        try:
            os.rename(tmp, folder)
        except OSError:
            if old is not None:
                os.rename(old, folder)
                old = None
            raise
    except OSError as exc:
        if not force and folder.exists():
            raise AnimeidError(f"an embedder named {name!r} appeared meanwhile ({folder}); nothing was "
                               "changed") from None
        raise AnimeidError(f"cannot register embedder {name!r} in {root}: {exc.strerror or exc}") from None
    finally:
        if tmp.exists():
            remove_path(tmp, ignore_errors=True)
        if old is not None:
            remove_path(old, ignore_errors=True)
    return folder

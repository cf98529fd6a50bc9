"""What every training command does before its own model: the output folder, `--restart`, the
checked dataset, the device and the seed. One place, so a resumed run of either command starts
from the same state it was killed in.

Everything that can refuse a run is checked before the output folder is created or anything in it
is touched: a failed run must not leave an empty folder behind, and a folder that holds something
else (a file, a user's documents, another kind of model, the dataset itself) is never written to."""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from animeid.errors import AnimeidError

CHECKPOINTS = ("warmup.ckpt", "finetune.ckpt", "train.ckpt")
KIND_CHECKPOINTS = {"siamese": ("warmup.ckpt", "finetune.ckpt"), "classifier": ("train.ckpt",)}
# The temp files of a write killed half-way (tempfile.mkstemp: the target's name or "tmp", 8 random
# characters, ".tmp"); animeid writes no dotfiles.
_TEMP = re.compile(r"(tmp|model\.pt|warmup\.ckpt|finetune\.ckpt|train\.ckpt)[a-z0-9_]{8}\.tmp")
# What the activation cache folder holds (see cached_splits); anything else in it is someone's.
CACHE_FILES = frozenset({"train-activations.pt", "val-activations.pt"})
# Keys every model.json animeid writes has (see siamese_training / classifier_training).
MODEL_JSON_KEYS = frozenset({"arch", "input", "classes", "cfg", "history"})

@dataclass
class RunStart:
    out: Path
    images: list
    dataset: object
    device: object
    identity: dict
    started: float = field(default_factory=time.monotonic)


def clear_run(out: Path, kind: str | None = None) -> None:
    """`--restart`: forget checkpoints (the activation cache stays valid: it is keyed)."""
    for name in KIND_CHECKPOINTS[kind] if kind else CHECKPOINTS:
        (Path(out) / name).unlink(missing_ok=True)


def _is_temp(name: str) -> bool:
    return bool(_TEMP.fullmatch(name))


def _is_own_cache(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink() and all(
        p.name in CACHE_FILES or _is_temp(p.name) for p in path.iterdir())


def _model_json_kind(path: Path):
    """The kind a model.json written by animeid names; None for anything else."""
    try:
        meta = json.loads(path.read_text())
        found = meta["arch"]["kind"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return found if isinstance(meta, dict) and MODEL_JSON_KEYS <= meta.keys() and isinstance(found, str) else None


def _is_own_checkpoint(path: Path, kind: str) -> bool:
    """Loaded without running pickled code: a file named like a checkpoint may be anyone's."""
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:
        return False
    return isinstance(state, dict) and isinstance(state.get("arch"), dict) and state["arch"].get("kind") == kind


def check_out_folder(out: Path, data: Path, kind: str, restart: bool) -> None:
    """Refuse an `--out` that is a file, lies inside the dataset, or is not a `train <kind>` run;
    and a finished model without checkpoints unless `--restart` (re-running would otherwise train a
    new model over it from scratch). A folder is a previous run only by animeid's own marks (its
    model.json, or its checkpoints): names alone (a user's model.pt, a `cache` folder, dotfiles)
    prove nothing, and such a folder is someone's work that training would overwrite."""
    from animeid.output_folders import check_output_folder

    out, data = Path(out), Path(data)
    check_output_folder(out, "--out")  # a file, a path under a file, a read-only place
    out_r, data_r = out.resolve(), data.resolve()
    if out_r == data_r or data_r in out_r.parents:
        raise AnimeidError(f"--out {out} is inside the dataset {data} (it would become a class); "
                           "choose a folder outside it")
    if not out.is_dir():
        return
    names = sorted(p.name for p in out.iterdir())
    other = [n for k, ckpts in KIND_CHECKPOINTS.items() if k != kind for n in ckpts if n in names]
    if other:
        raise AnimeidError(f"--out {out} holds another kind of training run ({other[0]}); choose a new --out folder")
    has_json = "model.json" in names
    if has_json:
        found = _model_json_kind(out / "model.json")
        if found != kind:
            what = f"a {found} model" if found else "a model.json that is not an animeid model"
            raise AnimeidError(f"--out {out} holds {what}, not a {kind} model; choose a new --out folder")
    own_ckpts = [n for n in KIND_CHECKPOINTS[kind] if n in names]
    # model.json is checked above; without it, a run killed before its end is known by its checkpoints.
    marked = has_json or any(_is_own_checkpoint(out / n, kind) for n in own_ckpts)
    allowed = {"model.json", *own_ckpts, "model.pt", "loss_curves.png"} if marked else set()
    foreign = [n for n in names if not (n in allowed or _is_temp(n) or (n == "cache" and _is_own_cache(out / n)))]
    if foreign:
        raise AnimeidError(f"--out {out}: not empty and not an `animeid train {kind}` folder "
                           f"(it holds {foreign[0]!r}); choose a new --out folder")
    if has_json and not restart and not own_ckpts:
        raise AnimeidError(f"--out {out} already holds a trained model and no checkpoint to resume; pass --restart "
                           "to train it again from scratch (replacing it), or choose a new --out folder")


def check_resumable(out: Path, archs: dict[str, dict], identity: dict) -> None:
    """Before any expensive work: every checkpoint this run would resume must be of this
    architecture, data and settings (the trainer checks again when it loads it)."""
    from animeid.train.checkpoint import load_checkpoint
    from animeid.train.run_identity import check_same_run

    for name, arch in archs.items():
        path = Path(out) / name
        if path.exists():
            check_same_run(load_checkpoint(path, arch).get("run"), identity, path, arch.get("stage"))


def start_run(data: Path, out: Path, restart: bool, cfg, kind: str) -> RunStart:
    import torch

    from animeid.train.cached_splits import load_train_images
    from animeid.train.device import resolve_device
    from animeid.train.run_identity import run_identity

    started = time.monotonic()
    out = Path(out)
    check_out_folder(out, data, kind, restart)
    device = resolve_device(cfg.trainer.device)
    images, dataset = load_train_images(data)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AnimeidError(f"cannot create --out {out}: {exc.strerror or exc}") from None
    if restart:
        clear_run(out, kind)
    torch.manual_seed(cfg.trainer.seed)
    return RunStart(out, images, dataset, device, run_identity(images, dataset, cfg), started)

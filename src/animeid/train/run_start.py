"""What every training command does before its own model: the output folder, `--restart`, the
checked dataset, the device and the seed. One place, so a resumed run of either command starts
from the same state it was killed in."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

CHECKPOINTS = ("warmup.ckpt", "finetune.ckpt", "train.ckpt")


@dataclass
class RunStart:
    out: Path
    images: list
    dataset: object
    device: object
    started: float = field(default_factory=time.monotonic)


def clear_run(out: Path) -> None:
    """`--restart`: forget checkpoints (the activation cache stays valid: it is keyed)."""
    for name in CHECKPOINTS:
        (Path(out) / name).unlink(missing_ok=True)


def start_run(data: Path, out: Path, restart: bool, trainer_cfg) -> RunStart:
    import torch

    from animeid.train.cached_splits import load_train_images
    from animeid.train.device import resolve_device

    started = time.monotonic()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if restart:
        clear_run(out)
    images, dataset = load_train_images(data)
    device = resolve_device(trainer_cfg.device)
    torch.manual_seed(trainer_cfg.seed)
    return RunStart(out, images, dataset, device, started)

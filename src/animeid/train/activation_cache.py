"""The frozen prefix's activations, computed once per image and augmented view, then reused by
every training step: the prefix is ~95% of EfficientNet-Lite's compute at 224 px, so on 2 CPU cores
this turns hours into minutes. Augmentation survives as several cached augmented views per image.

The cache is kept on disk next to the model, keyed by everything that determines it (files, sizes,
mtimes, backbone, cut, views, augmentation, seed), so a resumed run does not recompute it."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from animeid.config import EmbedderCfg
from animeid.features.embedder import to_input_tensor
from animeid.train.augment import augment
from animeid.train.config import AugmentCfg


def view_images(images: Sequence[np.ndarray], view: int, seed: int, aug: AugmentCfg) -> list[np.ndarray]:
    """View 0 is the image itself; view v > 0 is a reproducible random augmentation."""
    if view == 0:
        return list(images)
    rng = np.random.default_rng([seed, view])
    return [augment(img, rng, aug) for img in images]


def prefix_activations(run_prefix, images: Sequence[np.ndarray], cfg: EmbedderCfg, views: int = 0,
                       seed: int = 0, aug: AugmentCfg = AugmentCfg(), batch_size: int = 32,
                       log: Callable[[str], None] = lambda s: None):
    """(1 + views, N, C, H, W) float16 activations of the frozen prefix (`run_prefix`: NCHW float32
    array -> float16 tensor, see PrefixRunner) on CPU."""
    import torch

    if len(images) == 0:
        return torch.zeros((views + 1, 0), dtype=torch.float16)
    out = None
    for v in range(views + 1):
        imgs = view_images(images, v, seed, aug)
        for i in range(0, len(imgs), batch_size):
            a = run_prefix(to_input_tensor(imgs[i:i + batch_size], cfg))
            if out is None:
                out = torch.empty((views + 1, len(imgs), *a.shape[1:]), dtype=torch.float16)
            out[v, i:i + len(a)] = a
        log(f"cached frozen-prefix activations: view {v + 1}/{views + 1} ({len(imgs)} images)")
    return out


def cache_key(paths: Sequence[Path], **settings) -> str:
    h = hashlib.sha1()
    for p in paths:
        st = Path(p).stat()
        h.update(f"{p}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    h.update(json.dumps({k: (asdict(v) if hasattr(v, "__dataclass_fields__") else v) for k, v in settings.items()},
                        sort_keys=True, default=str).encode())
    return h.hexdigest()


def load_or_compute(path: Path, key: str, compute: Callable[[], "object"]):
    """The cached tensor at `path` if its key matches, else `compute()` saved atomically."""
    import torch

    path = Path(path)
    if path.exists():
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
            if blob.get("key") == key:
                return blob["acts"]
        except Exception:
            pass  # a stale or broken cache is simply recomputed
    acts = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        torch.save({"key": key, "acts": acts}, tmp)
        os.replace(tmp, path)
    except (OSError, RuntimeError) as exc:
        # The cache is an optimisation: without disk space, train from memory and say so.
        print(f"animeid: warning: activation cache {path} not saved ({exc}); training continues", flush=True)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return acts

"""Load a labelled image dataset, hold out a validation share, and compute (or reload) the frozen
prefix activations of every image and augmented view: the common first stage of Siamese and
classifier training."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from animeid.config import EmbedderCfg
from animeid.train.activation_cache import cache_key, load_or_compute, prefix_activations
from animeid.train.config import AugmentCfg
from animeid.train.image_folders import load_rgb_images, scan_labelled_folder, split_folder, stratified_holdout
from animeid.train.prefix_runner import PrefixRunner


@dataclass
class CachedSplits:
    classes: list[str]
    train_acts: "object"  # (1 + views, N, C, H, W) float16 tensor
    train_labels: np.ndarray
    val_acts: "object"  # (M, C, H, W) float16 tensor
    val_labels: np.ndarray


def load_train_images(data: Path):
    folder = split_folder(data, "train")
    if folder is None:
        from animeid.errors import AnimeidError

        raise AnimeidError(f"{data}: no train split (expected {data}/train/<class>/ or {data}/<class>/)")
    return load_rgb_images(scan_labelled_folder(folder))


def dataset_mean_std(images) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and std of the dataset's pixels (S2 normalised with its own statistics)."""
    s = np.zeros(3)
    s2 = np.zeros(3)
    n = 0
    for img in images:
        x = img.reshape(-1, 3).astype(np.float64) / 255.0
        s += x.sum(0)
        s2 += (x * x).sum(0)
        n += len(x)
    mean = s / n
    std = np.sqrt(np.maximum(s2 / n - mean ** 2, 1e-12))
    return tuple(float(v) for v in mean), tuple(float(v) for v in std)


def cached_splits(images, data, model, backbone: str, cfg: EmbedderCfg, views: int, val_fraction: float,
                  seed: int, cache_dir: Path, device=None, aug: AugmentCfg = AugmentCfg(),
                  log: Callable[[str], None] = print) -> CachedSplits:
    train_idx, val_idx = stratified_holdout(data.labels, val_fraction, seed)
    run = None

    def runner():
        nonlocal run
        if run is None:
            run = PrefixRunner(model, backbone, cfg.input_size, device)
        return run

    settings = dict(backbone=backbone, cut=model.freeze_blocks, size=cfg.input_size, mean=cfg.mean, std=cfg.std,
                    seed=seed, aug=aug, val_fraction=val_fraction)
    train_paths = [data.paths[i] for i in train_idx]
    val_paths = [data.paths[i] for i in val_idx]
    train_acts = load_or_compute(
        Path(cache_dir) / "train-activations.pt", cache_key(train_paths, views=views, **settings),
        lambda: prefix_activations(runner(), [images[i] for i in train_idx], cfg, views, seed, aug, log=log))
    val_acts = load_or_compute(
        Path(cache_dir) / "val-activations.pt", cache_key(val_paths, views=0, **settings),
        lambda: prefix_activations(runner(), [images[i] for i in val_idx], cfg, 0, seed, aug, log=log)[0])
    return CachedSplits(data.classes, train_acts, data.labels[train_idx], val_acts, data.labels[val_idx])

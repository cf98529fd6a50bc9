"""S4's custom CNN trained from scratch, kept as a baseline to show what frozen pretrained
features buy: conv 32/64/128 (3x3, ReLU) each followed by 2x2 max-pool, dense 128 (ReLU), one
sigmoid per genre, Adam on BCE. It trains on 80% of the training posters and tunes its global
threshold on the other 20% (stratified); it never sees the evaluation fold."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from animeid.genres.config import SmallCnnCfg
from animeid.genres.split import stratified_holdout
from animeid.genres.thresholds import threshold_grid, tune_global_threshold


def build_small_cnn(n_genres: int, input_size: int):
    from torch import nn

    side = input_size
    for _ in range(3):
        side = (side - 2) // 2  # 3x3 'valid' convolution, then 2x2 pooling
    return nn.Sequential(
        nn.Conv2d(3, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(128 * side * side, 128), nn.ReLU(), nn.Linear(128, n_genres))


def poster_pixels(paths: Sequence[Path], input_size: int) -> np.ndarray:
    """(n, 3, S, S) float32 in [0, 1], as S4 scaled them."""
    from PIL import Image

    from animeid.media.images import load_image

    out = np.zeros((len(paths), 3, input_size, input_size), dtype=np.float32)
    for i, p in enumerate(paths):
        img = Image.fromarray(load_image(p)).resize((input_size, input_size), Image.BILINEAR)
        out[i] = np.asarray(img, dtype=np.float32).transpose(2, 0, 1) / 255.0
    return out


def train_small_cnn(pixels: np.ndarray, y: np.ndarray, cfg: SmallCnnCfg = SmallCnnCfg()):
    import torch

    threads = torch.get_num_threads()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    try:
        return _train(pixels, y, cfg)
    finally:
        torch.set_num_threads(threads)


def _train(pixels: np.ndarray, y: np.ndarray, cfg: SmallCnnCfg):
    import torch

    torch.manual_seed(cfg.seed)
    net = build_small_cnn(y.shape[1], pixels.shape[-1])
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    xt, yt = torch.from_numpy(pixels), torch.from_numpy(np.asarray(y, dtype=np.float32))
    gen = torch.Generator().manual_seed(cfg.seed)
    for _ in range(cfg.epochs):
        net.train()
        for idx in torch.randperm(len(xt), generator=gen).split(cfg.batch_size):
            opt.zero_grad()
            loss_fn(net(xt[idx]), yt[idx]).backward()
            opt.step()
    return net.eval()


def cnn_scores(net, pixels: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        return torch.sigmoid(net(torch.from_numpy(pixels))).numpy().astype(np.float64)


def small_cnn_fit(pixels: np.ndarray, cfg: SmallCnnCfg = SmallCnnCfg(), min_predicted: int = 1,
                  grid: tuple = (0.02, 0.9, 45)) -> Callable:
    """A `crossval` fit function: rows index into `pixels`."""

    def fit(rows: np.ndarray, y: np.ndarray):
        tr, va = stratified_holdout(y, 0.2, cfg.seed)
        net = train_small_cnn(pixels[rows[tr]], y[tr], cfg)
        th = tune_global_threshold(y[va], cnn_scores(net, pixels[rows[va]]), threshold_grid(*grid), min_predicted)
        return (lambda test_rows: cnn_scores(net, pixels[test_rows])), np.full(y.shape[1], th)

    return fit

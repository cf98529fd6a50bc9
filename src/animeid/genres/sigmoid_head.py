"""A small torch head (linear, or one hidden ReLU layer) with sigmoid outputs, trained full-batch
on cached embeddings with BCE or binary focal loss. Full batch because 250 cached vectors fit in
one step and make training deterministic; the weights are kept as numpy arrays afterwards, so a
saved model predicts without torch."""
from __future__ import annotations

import numpy as np

from animeid.genres.config import GenreCfg


class SigmoidHead:
    kind = "mlp"

    def __init__(self, cfg: GenreCfg = GenreCfg()):
        self.cfg = cfg
        self.params: dict[str, np.ndarray] = {}

    def _loss(self):
        from animeid.genres.binary_focal_loss import BinaryFocalLoss

        if self.cfg.loss == "focal":
            return BinaryFocalLoss(gamma=self.cfg.focal_gamma, alpha=self.cfg.focal_alpha)
        if self.cfg.loss == "bce":  # focal loss with gamma 0 and no balancing is exactly BCE
            return BinaryFocalLoss(gamma=0.0, alpha=None)
        raise ValueError(f"unknown loss {self.cfg.loss!r} (bce or focal)")

    def fit(self, x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> "SigmoidHead":
        import torch

        # A few hundred rows: extra threads only add contention on a small, busy machine.
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return self._fit(x, y, sample_weight)
        finally:
            torch.set_num_threads(threads)

    def _fit(self, x, y, sample_weight) -> "SigmoidHead":
        import torch
        from torch import nn

        cfg = self.cfg
        torch.manual_seed(cfg.seed)
        x = np.asarray(x, dtype=np.float32)
        mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
        xt = torch.from_numpy((x - mean) / scale)
        yt = torch.from_numpy(np.asarray(y, dtype=np.float32))
        wt = None if sample_weight is None else torch.from_numpy(np.asarray(sample_weight, dtype=np.float32))
        n_out = yt.shape[1]
        layers: list[nn.Module] = [nn.Dropout(cfg.dropout)] if cfg.dropout else []
        if cfg.hidden:
            layers += [nn.Linear(xt.shape[1], cfg.hidden), nn.ReLU(), nn.Linear(cfg.hidden, n_out)]
        else:
            layers += [nn.Linear(xt.shape[1], n_out)]
        net = nn.Sequential(*layers)
        prior = yt.mean(dim=0).clamp(1e-3, 1 - 1e-3)
        with torch.no_grad():  # start from the label prior: the head only learns deviations from it
            net[-1].bias.copy_(torch.log(prior / (1 - prior)))
        opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        loss_fn = self._loss()
        net.train()
        for _ in range(cfg.epochs):
            opt.zero_grad()
            loss = loss_fn(net(xt), yt, wt)
            loss.backward()
            opt.step()
        net.eval()
        linears = [m for m in net if isinstance(m, nn.Linear)]
        self.params = {"mean": mean, "scale": scale}
        for i, m in enumerate(linears):
            self.params[f"w{i}"] = m.weight.detach().numpy().copy()
            self.params[f"b{i}"] = m.bias.detach().numpy().copy()
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        h = (np.asarray(x, dtype=np.float32) - self.params["mean"]) / self.params["scale"]
        i = 0
        while f"w{i + 1}" in self.params:
            h = np.maximum(h @ self.params[f"w{i}"].T + self.params[f"b{i}"], 0.0)
            i += 1
        logits = h @ self.params[f"w{i}"].T + self.params[f"b{i}"]
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -40, 40)))

    def state(self) -> dict[str, np.ndarray]:
        return dict(self.params)

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray], cfg: GenreCfg = GenreCfg()) -> "SigmoidHead":
        head = cls(cfg)
        head.params = dict(state)
        return head

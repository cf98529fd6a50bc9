"""One backbone's last blocks fine-tuned as a softmax classifier on cached prefix activations.

Why this recipe (docs/recognition.md has the figures): batch-norm stays in inference mode (batches
of 32 give noisy statistics; `LiteEmbeddingNet` never leaves eval mode); the linear head is fitted
first on the frozen pooled features so the first fine-tuning steps do not wreck the pretrained
tail; label smoothing and dropout because a few hundred images are memorised in two epochs; a
one-cycle schedule so a fixed, short budget of epochs ends at a small learning rate."""
from __future__ import annotations

import copy
import math

import numpy as np

from animeid.recognize.config import FineTuneCfg
from animeid.recognize.prefix_bank import PrefixBank, torch_threads


class TailClassifier:
    def __init__(self, backbone: str, cfg: FineTuneCfg = FineTuneCfg()):
        self.backbone = backbone
        self.cfg = cfg
        self.classes: list = []
        self.model = None
        self.fc = None
        self.history: list[float] = []

    def _pooled(self, acts, batch: int = 64):
        import torch

        with torch.no_grad():
            return torch.cat([self.model.tail(acts[i:i + batch].float()) for i in range(0, len(acts), batch)])

    def fit(self, bank: PrefixBank, rows: np.ndarray, labels: list) -> "TailClassifier":
        """Train on the images `rows` of `bank` (every cached training view) with `labels`."""
        import torch
        from torch import nn

        from animeid.train.lite_embedding_net import LiteEmbeddingNet

        cfg = self.cfg
        torch.set_num_threads(torch_threads(cfg.threads))
        torch.manual_seed(cfg.seed)
        rng = np.random.default_rng(cfg.seed)
        self.classes = sorted(set(labels))
        index = {c: i for i, c in enumerate(self.classes)}
        y = torch.as_tensor([index[v] for v in labels])
        rows = np.asarray(rows, dtype=int)
        self.model = LiteEmbeddingNet(copy.deepcopy(bank.network(self.backbone)), bank.cut(self.backbone), dim=None)
        self.fc = nn.Linear(self.model.features, len(self.classes))
        views = [bank.acts(self.backbone, v, rows) for v in bank.train_views()]

        # 1. The head alone, full batch, on frozen pooled features of the image and its mirror.
        feats = torch.cat([self._pooled(views[0]), self._pooled(views[1])])
        yy = torch.cat([y, y])
        opt = torch.optim.Adam(self.fc.parameters(), lr=cfg.head_init_lr)
        for _ in range(cfg.head_init_steps):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(self.fc(feats), yy, label_smoothing=cfg.label_smoothing)
            (loss + cfg.weight_decay * self.fc.weight.pow(2).sum()).backward()
            opt.step()

        # 2. Tail and head together; each step draws one random cached view per image.
        drop = nn.Dropout(cfg.dropout)
        opt = torch.optim.AdamW([{"params": self.model.tail_parameters(), "lr": cfg.lr},
                                 {"params": self.fc.parameters(), "lr": cfg.head_lr}], weight_decay=cfg.weight_decay)
        steps = math.ceil(len(rows) / cfg.batch_size)
        total = max(1, steps * cfg.epochs)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[cfg.lr, cfg.head_lr], total_steps=total,
                                                    pct_start=cfg.warmup_fraction)
        stacked = torch.stack(views)  # (V, N, C, H, W) float16
        self.history = []
        for _ in range(cfg.epochs):
            perm = rng.permutation(len(rows))
            run = 0.0
            for s in range(steps):
                idx = perm[s * cfg.batch_size:(s + 1) * cfg.batch_size]
                v = rng.integers(0, len(views), len(idx))
                x = stacked[torch.as_tensor(v), torch.as_tensor(idx)].float()
                loss = nn.functional.cross_entropy(self.fc(drop(self.model.tail(x))), y[torch.as_tensor(idx)],
                                                   label_smoothing=cfg.label_smoothing)
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                run += float(loss.detach())
            self.history.append(run / steps)
        return self

    def pooled(self, bank: PrefixBank, rows: np.ndarray, view: str = "base") -> np.ndarray:
        """Fine-tuned pooled features (n, features) of one cached view."""
        return self._pooled(bank.acts(self.backbone, view, rows)).numpy()

    def logits_from_pooled(self, pooled: np.ndarray) -> np.ndarray:
        import torch

        with torch.no_grad():
            return self.fc(torch.as_tensor(pooled)).numpy()

    def predict_proba(self, bank: PrefixBank, rows: np.ndarray) -> np.ndarray:
        """(n, n_classes) softmax averaged over the test views, columns in `classes` order."""
        import torch

        probs = 0.0
        for view in self.cfg.test_views:
            with torch.no_grad():
                logits = self.fc(self._pooled(bank.acts(self.backbone, view, rows)))
            probs = probs + logits.softmax(dim=1).numpy()
        return probs / len(self.cfg.test_views)

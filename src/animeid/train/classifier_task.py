"""Supervised fine-tuning on cached activations: cross-entropy over random batches of (image,
augmented view); validation reports loss and accuracy on the held-out images."""
from __future__ import annotations

import numpy as np
import torch

from animeid.train.config import ClassifierCfg


class ClassifierTask:
    def __init__(self, model, train_acts, train_labels, val_acts, val_labels, cfg: ClassifierCfg, device=None):
        self.model = model
        self.cfg = cfg
        self.device = device or torch.device("cpu")
        self.train_acts = train_acts
        self.train_labels = torch.as_tensor(np.asarray(train_labels))
        self.val_acts = val_acts
        self.val_labels = torch.as_tensor(np.asarray(val_labels))
        self.rng = np.random.default_rng([cfg.trainer.seed, 2])

    def param_groups(self):
        return [{"params": self.model.backbone.tail_parameters(), "lr_scale": 1.0},
                {"params": list(self.model.fc.parameters()), "lr_scale": self.cfg.head_lr_multiplier}]

    def training_loss(self):
        n = len(self.train_labels)
        idx = self.rng.integers(0, n, size=min(self.cfg.batch_size, n))
        views = self.rng.integers(0, self.train_acts.shape[0], size=len(idx))
        x = self.train_acts[torch.from_numpy(views), torch.from_numpy(idx)].to(self.device).float()
        logits = self.model.logits_from_acts(x)
        return torch.nn.functional.cross_entropy(logits, self.train_labels[idx].to(self.device))

    def validate(self) -> dict:
        if len(self.val_labels) == 0:
            return {"loss": float("nan")}
        with torch.no_grad():
            logits = torch.cat([self.model.logits_from_acts(self.val_acts[i:i + 128].to(self.device).float()).cpu()
                                for i in range(0, len(self.val_labels), 128)])
        loss = float(torch.nn.functional.cross_entropy(logits, self.val_labels))
        acc = float((logits.argmax(1) == self.val_labels).float().mean())
        return {"loss": loss, "accuracy": acc}

    def state_dict(self) -> dict:
        return {"rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        self.rng.bit_generator.state = state["rng"]

"""Siamese contrastive training on cached activations, in two stages.

Warm-up: the whole backbone is frozen, so even the tail's pooled output is computed once per view
and only the Dense head learns (seconds). Fine-tuning: the tail blocks train too, on the cached
prefix activations. Every step takes a class-balanced batch, picks one cached view per image, and
forms all positive pairs plus as many (partly hardest) negatives."""
from __future__ import annotations

import numpy as np
import torch

from animeid.train.config import SiameseCfg
from animeid.train.contrastive_loss import ContrastiveLoss
from animeid.train.image_folders import stratified_holdout
from animeid.train.pair_sampler import ClassBalancedPairSampler, batch_pairs


def has_same_class_pair(labels) -> bool:
    """True when some class has at least two of `labels`: only then is there a positive pair."""
    labels = np.asarray(labels, dtype=np.int64)
    return len(labels) > 1 and bool((np.bincount(labels) >= 2).any())


def siamese_val_fraction(labels, fraction: float, seed: int) -> tuple[float, str | None]:
    """The validation share to actually hold out, and why it differs from `fraction`.

    Siamese validation is the contrastive loss over fixed validation pairs. With small classes
    (<= 9 images at 0.15) every class keeps at most one validation image: all pairs are
    negatives, already past the margin, so the loss is 0 every epoch and plateau and early stopping
    fire on it, keeping the epoch-1 weights. Such a split measures nothing, so it is not made: the
    held-out images go back to training and the training loss is watched, as with
    `--val-fraction 0`. (Holding out two images of each small class instead would take far more
    than the requested share from exactly the classes that can least afford it.)"""
    if fraction <= 0:
        return fraction, None
    _, val = stratified_holdout(np.asarray(labels), fraction, seed)
    if has_same_class_pair(np.asarray(labels)[val]):
        return fraction, None
    return 0.0, (f"a {fraction:g} hold-out leaves no class with 2 validation images (no same-class pair to "
                 "validate on); training on every image and watching the training loss instead")


def nearest_neighbour_accuracy(gallery, gallery_labels, queries, query_labels) -> float:
    """1-NN accuracy with cosine similarity (embeddings are L2-normalised)."""
    if len(queries) == 0:
        return float("nan")
    sims = queries @ gallery.T
    pred = np.asarray(gallery_labels)[sims.argmax(dim=1).cpu().numpy()]
    return float((pred == np.asarray(query_labels)).mean())


class SiameseTask:
    def __init__(self, model, train_acts, train_labels, val_acts, val_labels, cfg: SiameseCfg,
                 stage: str, device=None):
        self.model = model
        self.cfg = cfg
        self.stage = stage
        self.device = device or torch.device("cpu")
        self.train_labels = np.asarray(train_labels)
        self.val_labels = np.asarray(val_labels)
        self.loss = ContrastiveLoss(cfg.margin)
        self.sampler = ClassBalancedPairSampler(self.train_labels, cfg.classes_per_batch, cfg.images_per_class,
                                                cfg.hard_negative_fraction, seed=cfg.trainer.seed)
        self.rng = np.random.default_rng([cfg.trainer.seed, 1])
        self._train_acts, self._val_acts = train_acts, val_acts
        self._inputs = None
        self.val_pairs = self._fixed_val_pairs()

    @property
    def train_inputs(self):
        return self._stage_inputs()[0]

    @property
    def val_inputs(self):
        return self._stage_inputs()[1]

    def _stage_inputs(self):
        """Computed on first use, so resuming a finished warm-up costs nothing."""
        if self._inputs is None:
            val = self._val_acts if len(self.val_labels) else None
            if self.stage == "warmup":
                # Nothing before the head trains: cache the pooled features of every view too.
                self._inputs = (self._pooled(self._train_acts), self._pooled(val[None])[0] if val is not None else None)
            else:
                self._inputs = (self._train_acts, val)
        return self._inputs

    def _pooled(self, acts):
        with torch.no_grad():
            v, n = acts.shape[:2]
            flat = acts.reshape(v * n, *acts.shape[2:])
            out = [self.model.tail(flat[i:i + 64].to(self.device).float()).cpu() for i in range(0, len(flat), 64)]
            return torch.cat(out).reshape(v, n, -1)

    def _fixed_val_pairs(self):
        """Fixed validation pairs, or None (no validation: the trainer watches the training loss)
        when there is no same-class pair, since a loss over negatives alone is ~0 and meaningless
        (see `siamese_val_fraction`)."""
        if len(np.unique(self.val_labels)) < 2 or not has_same_class_pair(self.val_labels):
            return None
        i, j, y = batch_pairs(self.val_labels, np.random.default_rng(12345))
        return torch.from_numpy(i), torch.from_numpy(j), torch.from_numpy(y)

    def param_groups(self):
        if self.stage == "warmup":
            return [{"params": self.model.head_parameters(), "lr_scale": 1.0}]
        head_scale = self.cfg.head_lr / self.cfg.finetune_lr
        return [{"params": self.model.tail_parameters(), "lr_scale": 1.0},
                {"params": self.model.head_parameters(), "lr_scale": head_scale}]

    def _embed(self, inputs):
        x = inputs.to(self.device).float()
        if self.stage == "warmup":
            return self.model.embed_pooled(x)
        return self.model.embed_pooled(self.model.tail(x))

    def training_loss(self):
        idx = self.sampler.batch()
        views = self.rng.integers(0, self.train_inputs.shape[0], size=len(idx))
        emb = self._embed(self.train_inputs[torch.from_numpy(views), torch.from_numpy(idx)])
        labels = self.train_labels[idx]
        dist = self.loss.distance.matrix(emb, emb)
        i, j, y = self.sampler.pairs(labels, dist.detach().cpu().numpy())
        i, j = torch.from_numpy(i), torch.from_numpy(j)
        return self.loss.from_distances(dist[i, j], torch.from_numpy(y).to(dist.device))

    def embed_all(self, inputs, batch: int = 128):
        with torch.no_grad():
            return torch.cat([self._embed(inputs[k:k + batch]).cpu() for k in range(0, len(inputs), batch)])

    def validate(self) -> dict:
        if self.val_pairs is None:
            # No validation split: the trainer then watches the training loss.
            return {"loss": float("nan")}
        val = self.embed_all(self.val_inputs)
        i, j, y = self.val_pairs
        loss = float(self.loss(val[i], val[j], y))
        gallery = self.embed_all(self.train_inputs[0])
        acc = nearest_neighbour_accuracy(gallery, self.train_labels, val, self.val_labels)
        return {"loss": loss, "knn_acc": acc}

    def state_dict(self) -> dict:
        return {"sampler": self.sampler.state_dict(), "rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        self.sampler.load_state_dict(state["sampler"])
        self.rng.bit_generator.state = state["rng"]

"""Positive and negative pairs sampled on the fly, replacing S1's 1.3 M-row pairs CSV.

Each batch takes P classes and K images of each (class-balanced whatever the class sizes), and every
same-class pair of the batch is a positive. As many negatives are drawn: a share of them are the
hardest (the closest different-class pairs under the current model), the rest random, so the
model sees both the confusing cases and the general layout. The random state is saved in
checkpoints, so a resumed run draws exactly the batches the uninterrupted run would have."""
from __future__ import annotations

import numpy as np

from animeid.errors import AnimeidError


class ClassBalancedPairSampler:
    def __init__(self, labels, classes_per_batch: int = 8, images_per_class: int = 4,
                 hard_negative_fraction: float = 0.5, seed: int = 0):
        self.labels = np.asarray(labels)
        self.classes = np.unique(self.labels)
        if len(self.classes) < 2:
            raise AnimeidError(f"pairs need at least 2 classes, found {len(self.classes)}")
        counts = {c: int((self.labels == c).sum()) for c in self.classes}
        small = [str(c) for c, n in counts.items() if n < 2]
        if small:
            raise AnimeidError(f"classes with fewer than 2 images cannot form positive pairs: {', '.join(small)}")
        if images_per_class < 2:
            raise AnimeidError("images_per_class must be at least 2 (a positive pair needs two)")
        self.by_class = {c: np.flatnonzero(self.labels == c) for c in self.classes}
        self.classes_per_batch = min(classes_per_batch, len(self.classes))
        self.images_per_class = images_per_class
        self.hard_negative_fraction = hard_negative_fraction
        self.rng = np.random.default_rng(seed)

    def batch(self) -> np.ndarray:
        """Indices of P classes x K images."""
        chosen = self.rng.choice(self.classes, size=self.classes_per_batch, replace=False)
        out = []
        for c in chosen:
            members = self.by_class[c]
            out.append(self.rng.choice(members, size=self.images_per_class,
                                       replace=len(members) < self.images_per_class))
        return np.concatenate(out)

    def pairs(self, batch_labels, distances=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return batch_pairs(batch_labels, self.rng, self.hard_negative_fraction, distances)

    def state_dict(self) -> dict:
        return {"rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        self.rng.bit_generator.state = state["rng"]


def batch_pairs(batch_labels, rng: np.random.Generator, hard_negative_fraction: float = 0.0,
                distances=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, y) positions within a batch: every positive pair (y=0) and as many negatives (y=1).

    `distances` (n, n), when given, selects the hardest share of the negatives."""
    batch_labels = np.asarray(batch_labels)
    i, j = np.triu_indices(len(batch_labels), k=1)
    same = batch_labels[i] == batch_labels[j]
    pos_i, pos_j = i[same], j[same]
    neg_i, neg_j = i[~same], j[~same]
    n_neg = min(len(pos_i), len(neg_i))
    n_hard = int(round(n_neg * hard_negative_fraction)) if distances is not None else 0
    picked = np.zeros(len(neg_i), dtype=bool)
    if n_hard:
        d = np.asarray(distances)[neg_i, neg_j]
        picked[np.argsort(d, kind="stable")[:n_hard]] = True
    rest = np.flatnonzero(~picked)
    picked[rng.choice(rest, size=n_neg - n_hard, replace=False)] = True
    ii = np.concatenate([pos_i, neg_i[picked]])
    jj = np.concatenate([pos_j, neg_j[picked]])
    y = np.concatenate([np.zeros(len(pos_i), np.int64), np.ones(int(picked.sum()), np.int64)])
    return ii, jj, y

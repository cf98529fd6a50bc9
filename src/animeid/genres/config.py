"""Defaults for genre prediction. Every number the genre pipeline uses lives here so a saved model
records exactly the settings it was trained with (`GenreCfg.to_dict()` goes into `model.json`)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class GenreCfg:
    """How posters become genre predictions."""

    # Frozen backbones whose (view-averaged) embeddings are concatenated. Two ImageNet backbones at
    # different resolutions see different detail; with few labels richer frozen features beat tuning.
    embedders: tuple[str, ...] = ("efficientnet-lite0", "efficientnet-lite2")
    # Test-time views averaged per poster: the whole poster, its mirror, and top/middle/bottom squares
    # (posters are portrait; squashing the whole one to a square loses the faces' proportions).
    views: tuple[str, ...] = ("full", "flip", "top", "middle", "bottom")
    # Vocabulary: keep the K most frequent genres (0 = all) and genres with at least N examples
    # (0 and 1 both keep every genre).
    top_k: int = 0
    min_count: int = 2
    # Head: "logreg" (per-genre L2 logistic regression) or "mlp" (torch sigmoid head, BCE or focal).
    head: str = "logreg"
    # Inverse L2 strength for "logreg" (small = strong regularisation, what few labels need).
    C: float = 0.05
    # "mlp" head.
    hidden: int = 0
    loss: str = "bce"  # "bce" or "focal"
    focal_gamma: float = 2.0
    focal_alpha: float = 0.25
    lr: float = 1e-2
    weight_decay: float = 1e-3
    dropout: float = 0.0
    epochs: int = 300
    # Blend of the head's probabilities with k-NN label transfer from the most similar training
    # posters (0 = head only). k-NN needs no fitting, so it carries genres with three examples.
    knn_weight: float = 0.3
    knn_k: int = 10
    # Softmax temperature over cosine similarities of the k neighbours.
    knn_temperature: float = 20.0
    # Thresholds: tuned per genre on inner out-of-fold predictions; genres with fewer positives
    # than this share one global threshold (a per-genre threshold fitted on 2 positives is noise).
    inner_folds: int = 5
    min_positives_per_genre_threshold: int = 8
    # Shrink each per-genre threshold towards the global one (0 = pure per-genre, 1 = global only).
    threshold_shrinkage: float = 0.5
    threshold_grid: tuple[float, float, int] = (0.02, 0.9, 45)
    # What thresholds optimise: "micro_f1" (recall-friendly) or "hamming" (fewer, surer genres).
    threshold_objective: str = "micro_f1"
    # Always predict at least this many genres (the top-scoring ones): every poster has a genre.
    min_predicted: int = 1
    # And at most this many (the top-scoring ones above their thresholds): -1 = the training posters'
    # mean genre count rounded up, 0 = no cap. Micro-F1-tuned thresholds on weak features predict
    # about twice the true genre count; the cap costs little micro-F1 and saves much Hamming loss.
    max_predicted: int = -1
    # Semi-supervised pseudo-labelling.
    pseudo_confidence: float = 0.7
    pseudo_weight: float = 0.5
    seed: int = 0

    def __post_init__(self):
        # Checked here, not only in the CLI, so the Python API and a damaged model.json are refused
        # with the same one-line message before any poster is embedded.
        from animeid.genres.config_checks import check_genre_cfg

        check_genre_cfg(self)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "GenreCfg":
        known = {f.name for f in fields(cls)}
        kw = {}
        for k, v in d.items():
            if k in known:
                kw[k] = tuple(v) if isinstance(v, list) else v
        return cls(**kw)

    def replace(self, **changes) -> "GenreCfg":
        d = self.to_dict()
        d.update(changes)
        return GenreCfg.from_dict(d)


@dataclass(frozen=True)
class SmallCnnCfg:
    """S4's from-scratch CNN baseline (conv 32/64/128 + 2x2 max-pool, dense 128, sigmoid)."""

    # S4 used 224 px; 64 px keeps a 5-fold run within minutes on 2 CPU cores.
    input_size: int = 64
    epochs: int = 15
    lr: float = 1e-3
    batch_size: int = 32
    seed: int = 0
    # torch threads while training (0 = torch's default); 1 avoids oversubscription on busy 2-core boxes.
    threads: int = 1

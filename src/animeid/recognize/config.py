"""Defaults of recognition: how images become vectors, how galleries score and reject, and the
search spaces of the evaluation methods. A gallery stores its `FeatureRecipe` so a query is always
embedded exactly as the gallery was."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class FeatureRecipe:
    """Which backbones, which test-time views and how much colour make up one vector.

    Every block is L2-normalised on its own before concatenation, so no backbone dominates by
    scale, and the result is L2-normalised again so galleries can use cosine similarity."""

    embedders: tuple[str, ...] = ("efficientnet-lite0",)
    # Views averaged per backbone: "base" (whole image), "flip" (mirrored), "crop" and
    # "cropflip" (central `crop_fraction` of the image, for multi-scale pooling).
    views: tuple[str, ...] = ("base", "flip")
    crop_fraction: float = 0.875
    # Weight of the sqrt (Hellinger) 8x8x8 HSV histogram block; 0 disables it. Hair and eye colour
    # are what ImageNet features keep least and what tells characters apart most.
    color_weight: float = 0.0

    @property
    def key(self) -> str:
        return (f"{'+'.join(self.embedders)}; views {','.join(self.views)}; crop {self.crop_fraction:g}; "
                f"colour {self.color_weight:g}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "FeatureRecipe":
        d = dict(d)
        d["embedders"] = tuple(d["embedders"])
        d["views"] = tuple(d["views"])
        return cls(**d)


# Galleries answer one image in < 50 ms on 2 cores: one backbone, two views.
GALLERY_RECIPE = FeatureRecipe()
# `eval --method linear` and `svm` (the frozen-feature `best` before fine-tuning): two backbones,
# four views and colour, because one view of Lite0 leaves a softmax head level with the baseline.
RICH_RECIPE = FeatureRecipe(embedders=("efficientnet-lite0", "efficientnet-lite2"),
                            views=("base", "flip", "crop", "cropflip"), color_weight=1.0)
# The frozen-embedding logistic-regression baseline every method is printed beside.
BASELINE_RECIPE = FeatureRecipe(views=("base",))


@dataclass(frozen=True)
class GalleryCfg:
    """How a gallery turns neighbours into calibrated, open-set answers."""

    recipe: FeatureRecipe = field(default_factory=lambda: GALLERY_RECIPE)
    # Neighbours fetched per query; class score = mean of its best `per_class` similarities.
    neighbours: int = 32
    per_class: int = 3
    # Held-out folds used to calibrate scores and learn the unknown threshold.
    calibration_folds: int = 5
    # At most this many gallery items serve as calibration queries (keeps enrol fast at 100k).
    calibration_queries: int = 3000
    # Threshold used when the gallery cannot simulate an unknown (a single label).
    default_threshold: float = 0.5
    # Calibrate on the top label's margin over the runner-up as well as its similarity; off is
    # the similarity-only calibration, kept as the baseline `bench/open_set.py` measures against.
    calibration_margin: bool = True
    face_margin: float = 0.35
    factory: str = "auto"
    hnsw_above: int = 20000
    batch_size: int = 32


@dataclass(frozen=True)
class FineTuneCfg:
    """`eval --method best`: the last blocks of each backbone fine-tuned as a classifier on the
    training images, the backbones' softmax outputs averaged.

    Frozen ImageNet features plateau at ~0.95 on characters (hair and eye colour, outfits are not
    what ImageNet separates); adapting the last blocks is what closes the gap. The frozen prefix
    (~90% of the compute) runs once per image and view, so training costs only the tail. The
    settings are fixed defaults (no search: one fine-tune per inner fold would cost minutes each);
    see docs/recognition.md for how they were chosen."""

    # Three input sizes (224, 240, 260 px) see different detail and make different mistakes;
    # docs/recognition.md has the per-backbone and per-pair figures.
    backbones: tuple[str, ...] = ("efficientnet-lite0", "efficientnet-lite1", "efficientnet-lite2")
    # Last blocks trained per backbone (with the head conv): Lite0 13-15, Lite1 and Lite2 17-20,
    # i.e. the last stage at 1/32 resolution.
    trainable_blocks: tuple[int, ...] = (3, 4, 4)
    # Random crop/flip/colour/JPEG views per training image, cached before the prefix (plus the
    # image and its mirror); each step draws one view per image.
    augmented_views: int = 4
    epochs: int = 8
    batch_size: int = 32
    lr: float = 3e-4
    head_lr: float = 3e-3
    # One-cycle schedule: share of the steps spent warming up.
    warmup_fraction: float = 0.15
    weight_decay: float = 1e-4
    label_smoothing: float = 0.1
    dropout: float = 0.2
    # The linear head is first fitted on frozen pooled features, so fine-tuning starts from a
    # sensible classifier instead of random logits that would push the tail around.
    head_init_steps: int = 300
    head_init_lr: float = 1e-2
    # Views averaged at test time.
    test_views: tuple[str, ...] = ("base", "flip", "crop", "cropflip")
    # Decoded images are shrunk to this longest side first (memory; inputs are <= 260 px anyway).
    max_side: int = 512
    onnx_prefix: bool = True
    # torch threads for training; 0 = ANIMEID_THREADS or every core.
    threads: int = 0
    seed: int = 0
    # Fine-tunes per backbone with seeds seed, seed+1, ...; their softmax outputs are averaged.
    seeds_per_backbone: int = 1


@dataclass(frozen=True)
class EvalCfg:
    """Search spaces (kept small so `--method classical:all` runs in minutes on 2 cores)."""

    inner_folds: int = 3
    knn_k: tuple[int, ...] = (1, 3, 5, 10, 20)
    linear_c: tuple[float, ...] = (0.1, 1.0, 10.0, 100.0)
    svm_c: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0)
    baseline_c: float = 1.0
    top_k: int = 5
    tsne_perplexity: float = 30.0
    seed: int = 0
    finetune: FineTuneCfg = field(default_factory=FineTuneCfg)

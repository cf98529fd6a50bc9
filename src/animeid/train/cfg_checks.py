"""Range checks of the training settings, run before anything touches the disk or the dataset.

A bad number otherwise surfaces much later and far from its cause: a zero step count as a
ZeroDivisionError at the first epoch end, a negative `--views` as an AttributeError in the cache,
a negative `--dim` inside torch, a negative `--step-every` as a learning rate that grows x10 per
epoch. The messages name the command-line flag, since that is where the number came from."""
from __future__ import annotations

import math

from animeid.errors import AnimeidError
from animeid.number_checks import finite, whole

MAX_SEED = 2**32 - 1   # as the genre commands; torch refuses seeds past 64 bits
MAX_DIM = 65536        # 50 times the backbone's 1280 features: more is a typo
MAX_VIEWS = 100        # every view of every image is cached: more is a typo, or runs out of memory
# Blocks of each trainable EfficientNet-Lite (len(net._blocks); a test checks them against the
# networks). Written out so a bad --backbone or --freeze-blocks is refused before torch is imported
# and before --out is created or --restart deletes checkpoints.
LITE_BLOCKS = {"efficientnet-lite0": 16, "efficientnet-lite1": 21, "efficientnet-lite2": 21}


def _int_at_least(value, low: int, flag: str, high: int | None = None) -> None:
    """`high` is checked apart, so a value below `low` keeps the message the docs show. Without it,
    a huge --seed, --dim or --views overflowed inside torch, as a traceback."""
    whole(value, flag, low)
    if high is not None:
        whole(value, flag, low, high)


def _positive(value, flag: str) -> None:
    finite(value, flag, lo=0.0, lo_open=True)


def _in_range(value, low: float, high: float, flag: str, high_open: bool = True) -> None:
    finite(value, flag, lo=low, hi=None if math.isinf(high) else high, hi_open=high_open)


def check_trainer_cfg(cfg) -> None:
    """The loop's own numbers (`TrainerCfg`)."""
    _int_at_least(cfg.epochs, 1, "--epochs")
    _int_at_least(cfg.steps_per_epoch, 1, "--steps-per-epoch")
    _int_at_least(cfg.checkpoint_every, 1, "--checkpoint-every")
    _int_at_least(cfg.step_every, 0, "--step-every")
    _int_at_least(cfg.seed, 0, "--seed", MAX_SEED)
    _positive(cfg.lr, "--lr")
    _in_range(cfg.momentum, 0.0, 1.0, "momentum")
    _in_range(cfg.weight_decay, 0.0, math.inf, "weight_decay")
    _in_range(cfg.lr_decay, 0.0, 1.0, "lr_decay", high_open=False)
    _in_range(cfg.step_gamma, 0.0, 1.0, "step_gamma", high_open=False)
    _in_range(cfg.plateau_factor, 0.0, 1.0, "plateau_factor", high_open=False)
    _int_at_least(cfg.plateau_patience, 1, "plateau_patience")
    _int_at_least(cfg.early_stop_patience, 1, "early_stop_patience")
    if not isinstance(cfg.device, str) or not cfg.device:
        raise AnimeidError(f"--device {cfg.device!r}: must be auto, cpu, cuda or mps")


def check_backbone(backbone, freeze_blocks) -> None:
    if backbone not in LITE_BLOCKS:
        raise AnimeidError(f"--backbone {backbone!r}: unknown backbone; trainable backbones: {', '.join(LITE_BLOCKS)}")
    _int_at_least(freeze_blocks, 0, "--freeze-blocks")
    whole(freeze_blocks, "--freeze-blocks", 0, LITE_BLOCKS[backbone], why=f" (the blocks of {backbone})")


def check_siamese_cfg(cfg) -> None:
    check_trainer_cfg(cfg.trainer)
    _int_at_least(cfg.dim, 1, "--dim", MAX_DIM)
    _positive(cfg.margin, "--margin")
    check_backbone(cfg.backbone, cfg.freeze_blocks)
    _int_at_least(cfg.augmented_views, 0, "--views", MAX_VIEWS)
    _int_at_least(cfg.warmup_epochs, 0, "--warmup-epochs")
    _in_range(cfg.val_fraction, 0.0, 1.0, "--val-fraction")
    _int_at_least(cfg.classes_per_batch, 2, "classes_per_batch")
    _int_at_least(cfg.images_per_class, 2, "images_per_class")
    _in_range(cfg.hard_negative_fraction, 0.0, 1.0, "hard_negative_fraction", high_open=False)
    for name in ("warmup_lr", "finetune_lr", "head_lr"):
        _positive(getattr(cfg, name), name)


def check_classifier_cfg(cfg) -> None:
    check_trainer_cfg(cfg.trainer)
    check_backbone(cfg.backbone, cfg.freeze_blocks)
    _int_at_least(cfg.augmented_views, 0, "--views", MAX_VIEWS)
    _in_range(cfg.val_fraction, 0.0, 1.0, "--val-fraction")
    _int_at_least(cfg.batch_size, 1, "batch_size")
    _positive(cfg.head_lr_multiplier, "head_lr_multiplier")

"""`animeid train siamese|classifier` and `animeid export` (see docs/training.md)."""
from __future__ import annotations

import argparse
import math
import shlex
from pathlib import Path


def _common(p: argparse.ArgumentParser, trainer) -> None:
    p.add_argument("data", type=Path, help="dataset folder: DATA/train/<class>/ (or DATA/<class>/)")
    p.add_argument("--out", type=Path, required=True, help="model folder (checkpoints, model, curves)")
    p.add_argument("--epochs", type=int, default=trainer.epochs, help=f"training epochs (default {trainer.epochs})")
    p.add_argument("--steps-per-epoch", type=int, default=trainer.steps_per_epoch)
    p.add_argument("--optimizer", choices=["adam", "nadam", "sgd"], default=trainer.optimizer)
    p.add_argument("--checkpoint-every", type=int, default=trainer.checkpoint_every, help="steps between checkpoints")
    p.add_argument("--device", default=trainer.device, help="auto (GPU when present), cpu, cuda, mps")
    p.add_argument("--seed", type=int, default=trainer.seed)
    p.add_argument("--restart", action="store_true",
                   help="start over: forget the checkpoints in --out (the model there is replaced at the end)")


def _trainer_cfg(args, base):
    from dataclasses import replace

    return replace(base, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch, optimizer=args.optimizer,
                   checkpoint_every=args.checkpoint_every, device=args.device, seed=args.seed)


def configure_train(p: argparse.ArgumentParser) -> None:
    from animeid.train.config import ClassifierCfg, SiameseCfg

    s, c = SiameseCfg(), ClassifierCfg()
    sub = p.add_subparsers(dest="train_command", metavar="MODEL")
    sp = sub.add_parser("siamese", help="S1's Siamese network with contrastive loss (resumable)",
                        description="Warm-up with the backbone frozen, then fine-tune the last blocks; the "
                                    "frozen part's activations are cached. Re-run the same command to resume.")
    _common(sp, s.trainer)
    sp.add_argument("--backbone", default=s.backbone, help=f"EfficientNet-Lite variant (default {s.backbone})")
    sp.add_argument("--dim", type=int, default=s.dim, help=f"embedding size (default {s.dim})")
    sp.add_argument("--margin", type=float, default=s.margin, help=f"contrastive margin (default {s.margin})")
    sp.add_argument("--freeze-blocks", type=int, default=s.freeze_blocks,
                    help=f"backbone blocks kept frozen while fine-tuning (default {s.freeze_blocks})")
    sp.add_argument("--warmup-epochs", type=int, default=s.warmup_epochs)
    sp.add_argument("--views", type=int, default=s.augmented_views, help="cached augmented views per image")
    sp.add_argument("--val-fraction", type=float, default=s.val_fraction,
                    help=f"share of each class held out for validation and early stopping (default "
                         f"{s.val_fraction}; 0 trains on everything and watches the training loss)")
    sp.set_defaults(func=run_siamese)
    cp = sub.add_parser("classifier", help="S2's supervised fine-tuning (SGD, lr x0.1 every 7 epochs)",
                        description="EfficientNet-Lite (ResNets are not available offline) + linear layer, "
                                    "SGD momentum 0.9, lr 0.001 decayed x0.1 every 7 epochs.")
    _common(cp, c.trainer)
    cp.add_argument("--backbone", default=c.backbone)
    cp.add_argument("--lr", type=float, default=c.trainer.lr)
    cp.add_argument("--step-every", type=int, default=c.trainer.step_every, help="epochs between lr x0.1")
    cp.add_argument("--freeze-blocks", type=int, default=c.freeze_blocks)
    cp.add_argument("--views", type=int, default=c.augmented_views)
    cp.set_defaults(func=run_classifier)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def run_siamese(args) -> int:
    from dataclasses import replace

    from animeid.train.config import SiameseCfg
    from animeid.train.siamese_training import train_siamese

    base = SiameseCfg()
    cfg = replace(base, backbone=args.backbone, dim=args.dim, margin=args.margin, freeze_blocks=args.freeze_blocks,
                  warmup_epochs=args.warmup_epochs, augmented_views=args.views, val_fraction=args.val_fraction,
                  trainer=_trainer_cfg(args, base.trainer))
    meta = train_siamese(args.data, args.out, cfg, restart=args.restart)
    print(f"validation: {_validation(meta)}; loss curves: {args.out / 'loss_curves.png'}")
    print(f"next: animeid export {shlex.quote(str(args.out))} --name NAME")   # pastable with spaces in it
    return 0


def run_classifier(args) -> int:
    from dataclasses import replace

    from animeid.train.classifier_training import train_classifier
    from animeid.train.config import ClassifierCfg

    base = ClassifierCfg()
    tcfg = replace(_trainer_cfg(args, base.trainer), lr=args.lr, step_every=args.step_every)
    cfg = replace(base, backbone=args.backbone, freeze_blocks=args.freeze_blocks, augmented_views=args.views,
                  trainer=tcfg)
    meta = train_classifier(args.data, args.out, cfg, restart=args.restart)
    print(f"validation: {_validation(meta)}; loss curves: {args.out / 'loss_curves.png'}")
    return 0


def configure_export(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", type=Path, help="model folder written by `animeid train`")
    p.add_argument("--name", required=True,
                   help="embedder name to register (then: --embedder NAME); letters, digits, '.', '_', '-'")
    p.add_argument("--force", action="store_true",
                   help="replace an embedder of that name (indexes and galleries built with it stop matching)")
    p.set_defaults(func=run_export)


def run_export(args) -> int:
    from animeid.train.export import export_model

    folder = export_model(args.model, args.name, force=args.force)
    print(f"registered embedder {args.name!r} in {folder}; use it with --embedder {args.name}")
    return 0


def _validation(meta: dict) -> str:
    """The validation figures of the kept (best) epoch, or why there are none (a NaN loss means no
    validation split)."""
    val = dict(meta.get("val") or {})
    epoch = val.pop("epoch", None)
    if meta.get("validation_note"):
        return f"none ({meta['validation_note']})"
    if not val or any(math.isnan(v) for v in val.values()):
        return "none (no validation split; the training loss was watched)"
    shown = ", ".join(f"{k} {v:.4f}" for k, v in val.items())
    return f"{shown} (epoch {epoch}, whose weights were kept)" if epoch else shown

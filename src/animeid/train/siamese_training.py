"""`animeid train siamese`: S1's workflow as one resumable run.

    load + check the dataset -> hold out validation -> cache frozen-prefix activations
    -> warm-up (head only) -> partial fine-tuning (last blocks + head) -> model folder + curves

Each stage checkpoints into the output folder; running the same command again after a kill
continues where it stopped, and a finished stage is not redone."""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Callable

from animeid.config import EmbedderCfg
from animeid.errors import AnimeidError
from animeid.train.cfg_checks import check_siamese_cfg
from animeid.train.config import SiameseCfg


def siamese_arch(cfg: SiameseCfg) -> dict:
    return {"kind": "siamese", "backbone": cfg.backbone, "dim": cfg.dim, "freeze_blocks": cfg.freeze_blocks}


def lite_input_cfg(backbone: str, mean=None, std=None) -> EmbedderCfg:
    from animeid.features.efficientnet_lite import LITE_MEAN, LITE_STD, VARIANTS

    return EmbedderCfg(name=backbone, input_size=VARIANTS[backbone].input_size, mean=tuple(mean or LITE_MEAN),
                       std=tuple(std or LITE_STD), dim=VARIANTS[backbone].dim)


def train_siamese(data: Path, out: Path, cfg: SiameseCfg = SiameseCfg(), restart: bool = False,
                  log: Callable[[str], None] = print, stop_after_steps: int | None = None) -> dict:
    from animeid.evaluate.plots import line_curves
    from animeid.train.cached_splits import cached_splits
    from animeid.train.lite_embedding_net import lite_network
    from animeid.train.model_file import save_model
    from animeid.train.run_start import check_resumable, start_run
    from animeid.train.siamese_net import SiameseNet
    from animeid.train.siamese_task import SiameseTask, siamese_val_fraction
    from animeid.train.trainer import Trainer, kept_metrics

    check_siamese_cfg(cfg)
    run = start_run(data, out, restart, cfg, "siamese")
    out, images, data_, device, started = run.out, run.images, run.dataset, run.device, run.started
    log(f"{len(images)} images, {len(data_.classes)} classes")
    arch = siamese_arch(cfg)
    stages = [("warmup", dataclasses.replace(cfg.trainer, lr=cfg.warmup_lr, epochs=cfg.warmup_epochs,
                                             optimizer=cfg.trainer.optimizer)),
              ("finetune", dataclasses.replace(cfg.trainer, lr=cfg.finetune_lr))]
    stages = [(stage, tcfg) for stage, tcfg in stages if tcfg.epochs > 0]
    check_resumable(out, {f"{stage}.ckpt": {**arch, "stage": stage} for stage, _ in stages}, run.identity)
    model = SiameseNet(lite_network(cfg.backbone), cfg.freeze_blocks, cfg.dim)
    input_cfg = lite_input_cfg(cfg.backbone)
    val_fraction, why = siamese_val_fraction(data_.labels, cfg.val_fraction, cfg.trainer.seed)
    if why:
        log(f"validation: {why}")
    splits = cached_splits(images, data_, model, cfg.backbone, input_cfg, cfg.augmented_views, val_fraction,
                           cfg.trainer.seed, out / "cache", device, log=log)
    model.to(device)
    histories = {}
    for stage, tcfg in stages:
        task = SiameseTask(model, splits.train_acts, splits.train_labels, splits.val_acts, splits.val_labels,
                           cfg, stage, device)
        trainer = Trainer(task, tcfg, out / f"{stage}.ckpt", {**arch, "stage": stage}, log, stop_after_steps,
                          run=run.identity)
        # A warm-up is only extended (a larger --warmup-epochs) while fine-tuning has not started from it.
        trainer.resume(extend=stage != "warmup" or not (out / "finetune.ckpt").exists())
        log(f"{stage}: training {sum(p.numel() for g in task.param_groups() for p in g['params']):,} parameters")
        histories[stage] = trainer.fit()
        del task
    if not histories:  # unreachable after check_siamese_cfg (--epochs >= 1); never save an untrained model
        raise AnimeidError("nothing to train: --epochs must be at least 1")
    model.cpu()
    final = histories.get("finetune") or histories.get("warmup")
    meta = {"arch": arch, "input": input_cfg.to_dict(), "classes": splits.classes, "cfg": cfg.to_dict(),
            "history": histories, "val": kept_metrics(final) if final else {},
            "seconds": round(time.monotonic() - started, 1)}
    if why:
        meta["validation_note"] = why
    save_model(out, model, meta)
    curves, offset = {}, 0
    for stage, h in histories.items():
        pad = [float("nan")] * offset  # stages follow each other on one epoch axis
        curves[f"{stage} train"] = pad + h["train_loss"]
        curves[f"{stage} val"] = pad + h["val_loss"]
        offset += len(h["train_loss"])
    if curves:
        line_curves(curves, out / "loss_curves.png", title="Siamese contrastive loss", xlabel="epoch",
                    ylabel="loss")
    log(f"model written to {out} ({meta['seconds']} s)")
    return meta

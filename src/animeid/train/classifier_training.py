"""`animeid train classifier`: S2's supervised fine-tuning through the same trainer and the same
activation cache. Images are normalised with the dataset's own mean and std (S2's choice), which is
recorded in the model so the exported embedder preprocesses identically."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from animeid.train.cfg_checks import check_classifier_cfg
from animeid.train.config import ClassifierCfg


def classifier_arch(cfg: ClassifierCfg, classes: int) -> dict:
    return {"kind": "classifier", "backbone": cfg.backbone, "freeze_blocks": cfg.freeze_blocks, "classes": classes}


def train_classifier(data: Path, out: Path, cfg: ClassifierCfg = ClassifierCfg(), restart: bool = False,
                     log: Callable[[str], None] = print, stop_after_steps: int | None = None) -> dict:
    from animeid.evaluate.plots import line_curves
    from animeid.train.cached_splits import cached_splits, dataset_mean_std
    from animeid.train.classifier_task import ClassifierTask
    from animeid.train.lite_classifier import LiteClassifier
    from animeid.train.lite_embedding_net import lite_network
    from animeid.train.model_file import save_model
    from animeid.train.run_start import check_resumable, start_run
    from animeid.train.siamese_training import lite_input_cfg
    from animeid.train.trainer import Trainer, kept_metrics

    check_classifier_cfg(cfg)
    run = start_run(data, out, restart, cfg, "classifier")
    out, images, data_, device, started = run.out, run.images, run.dataset, run.device, run.started
    arch = classifier_arch(cfg, len(data_.classes))
    check_resumable(out, {"train.ckpt": arch}, run.identity)
    mean, std = dataset_mean_std(images)
    log(f"{len(images)} images, {len(data_.classes)} classes; dataset mean {tuple(round(m, 3) for m in mean)} "
        f"std {tuple(round(s, 3) for s in std)}")
    model = LiteClassifier(lite_network(cfg.backbone), cfg.freeze_blocks, len(data_.classes))
    input_cfg = lite_input_cfg(cfg.backbone, mean, std)
    splits = cached_splits(images, data_, model.backbone, cfg.backbone, input_cfg,
                           cfg.augmented_views, cfg.val_fraction, cfg.trainer.seed, out / "cache", device, log=log)
    model.to(device)
    task = ClassifierTask(model, splits.train_acts, splits.train_labels, splits.val_acts, splits.val_labels, cfg, device)
    trainer = Trainer(task, cfg.trainer, out / "train.ckpt", arch, log, stop_after_steps, run=run.identity)
    trainer.resume()
    history = trainer.fit()
    model.cpu()
    meta = {"arch": arch, "input": input_cfg.to_dict(), "classes": splits.classes, "cfg": cfg.to_dict(),
            "history": {"train": history}, "val": kept_metrics(history),
            "seconds": round(time.monotonic() - started, 1)}
    save_model(out, model, meta)
    line_curves({"train": history["train_loss"], "val": history["val_loss"]}, out / "loss_curves.png",
                title="Classifier cross-entropy", xlabel="epoch", ylabel="loss")
    log(f"model written to {out} ({meta['seconds']} s)")
    return meta

"""A task-agnostic training loop: optimiser, learning-rate schedule, reduce-on-plateau, early
stopping, checkpoints and exact resume. Siamese and classifier training both go through it.

A task provides:
  - `model` (torch module; its state is checkpointed),
  - `param_groups()` -> [{"params": [...], "lr_scale": float}, ...],
  - `training_loss()` -> scalar tensor for one step (it draws its own batch),
  - `validate()` -> dict with at least "loss" (watched by plateau and early stopping),
  - `state_dict()` / `load_state_dict()` for its random state (so batches replay exactly).

A caller may pass `run` (see `run_identity`: the data and settings); it is stored in every checkpoint
and a checkpoint of another run is refused on resume instead of being continued with other data.

The schedule is computed by hand from (epoch, plateau scale) rather than by torch schedulers, so
everything a resumed run needs is a handful of numbers in the checkpoint."""
from __future__ import annotations

import copy
import math
import time
from pathlib import Path
from typing import Callable

from animeid.errors import AnimeidError
from animeid.train.cfg_checks import check_trainer_cfg
from animeid.train.checkpoint import load_checkpoint, save_checkpoint
from animeid.train.config import TrainerCfg
from animeid.train.device import resolve_device
from animeid.train.run_identity import check_same_run


def build_optimizer(cfg: TrainerCfg, groups: list[dict]):
    import torch

    torch_groups = [{"params": [p for p in g["params"] if p.requires_grad],
                     "lr": cfg.lr * g.get("lr_scale", 1.0), "lr_scale": g.get("lr_scale", 1.0)} for g in groups]
    torch_groups = [g for g in torch_groups if g["params"]]
    if not torch_groups:
        raise AnimeidError("nothing to train: every parameter is frozen")
    name = cfg.optimizer.lower()
    if name == "adam":
        return torch.optim.Adam(torch_groups, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if name == "nadam":
        return torch.optim.NAdam(torch_groups, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if name == "sgd":
        return torch.optim.SGD(torch_groups, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    raise AnimeidError(f"unknown optimizer {cfg.optimizer!r}; use adam, nadam or sgd")


def scheduled_lr(cfg: TrainerCfg, epoch: int, plateau_scale: float) -> float:
    """Base learning rate at `epoch`: step decay when `step_every` is set, else exponential."""
    if cfg.step_every:
        decay = cfg.step_gamma ** (epoch // cfg.step_every)
    else:
        decay = cfg.lr_decay ** epoch
    return cfg.lr * decay * plateau_scale


def best_epoch(history: dict) -> int | None:
    """Index of the epoch whose weights `fit` kept (the model's figures are that epoch's, not the
    last one's); a checkpoint from before this was recorded falls back to the lowest watched loss."""
    if history.get("best_epoch") is not None:
        return history["best_epoch"]
    losses = history.get("val_loss") or []
    return min(range(len(losses)), key=losses.__getitem__) if losses else None


def kept_metrics(history: dict) -> dict:
    """The validation figures of the kept weights, with the (1-based) epoch they come from."""
    i = best_epoch(history)
    if i is None or i >= len(history.get("val_metrics") or []):
        return {}
    return {**history["val_metrics"][i], "epoch": i + 1}


class Trainer:
    def __init__(self, task, cfg: TrainerCfg, checkpoint: Path, arch: dict,
                 log: Callable[[str], None] = print, stop_after_steps: int | None = None,
                 run: dict | None = None):
        check_trainer_cfg(cfg)  # a zero step count would only fail at the first epoch end
        self.task = task
        self.cfg = cfg
        self.checkpoint = Path(checkpoint)
        self.arch = dict(arch)
        self.run = run
        self.log = log
        # Test hook: behave as if the process were killed after this many steps in total.
        self.stop_after_steps = stop_after_steps
        self.device = resolve_device(cfg.device)
        self.optimizer = build_optimizer(cfg, task.param_groups())
        self.state = {"step": 0, "epoch": 0, "plateau_scale": 1.0, "best_loss": math.inf,
                      "bad_epochs": 0, "plateau_bad": 0, "done": False,
                      "history": {"train_loss": [], "val_loss": [], "lr": [], "val_metrics": []},
                      "epoch_losses": []}
        self.best_model = None

    # -- checkpoints ------------------------------------------------------------------------
    def _snapshot(self) -> dict:
        import torch

        return {"arch": self.arch, "model": self.task.model.state_dict(),
                "optimizer": self.optimizer.state_dict(), "task": self.task.state_dict(),
                "trainer": copy.deepcopy(self.state), "best_model": self.best_model,
                "torch_rng": torch.get_rng_state(), "cfg": self.cfg.to_dict(), "run": self.run}

    def save(self) -> None:
        save_checkpoint(self._snapshot(), self.checkpoint)

    def resume(self, extend: bool = True) -> bool:
        """Continue from the checkpoint if there is one; True when it was loaded. `extend=False`
        keeps a finished run finished even when more epochs are asked for (a Siamese warm-up whose
        fine-tuning has already started from its result)."""
        import torch

        if not self.checkpoint.exists():
            return False
        state = load_checkpoint(self.checkpoint, self.arch)
        if self.run is not None:
            check_same_run(state.get("run"), self.run, self.checkpoint, self.arch.get("stage"))
        try:
            self.task.model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
        except (RuntimeError, ValueError, KeyError) as exc:
            raise AnimeidError(f"{self.checkpoint} does not fit this model ({str(exc).splitlines()[0]}); "
                               "use another --out folder or pass --restart") from None
        self.task.load_state_dict(state["task"])
        self.state = state["trainer"]
        self.best_model = state["best_model"]
        torch.set_rng_state(state["torch_rng"])
        self.log(f"resumed {self.checkpoint.name} at step {self.state['step']} (epoch {self.state['epoch']})")
        if self.state["done"] and self.state.get("stop_reason") == "epochs" and self.cfg.epochs > self.state["epoch"]:
            if extend:
                # A finished run asked for more epochs continues exactly as a longer run would have.
                self.state["done"] = False
            else:
                self.log(f"{self.checkpoint.name} is finished and later stages started from it; "
                         f"not extending it to {self.cfg.epochs} epochs")
        return True

    # -- loop -------------------------------------------------------------------------------
    def _set_lr(self) -> float:
        lr = scheduled_lr(self.cfg, self.state["epoch"], self.state["plateau_scale"])
        for g in self.optimizer.param_groups:
            g["lr"] = lr * g.get("lr_scale", 1.0)
        return lr

    def _end_epoch(self) -> bool:
        """Validate, update the plateau and early-stopping state; True to stop."""
        s = self.state
        metrics = self.task.validate()
        train = sum(s["epoch_losses"]) / max(1, len(s["epoch_losses"]))
        val = float(metrics["loss"])
        has_val = math.isfinite(val)
        if not has_val:
            val = train  # no validation split: watch the training loss
        s["epoch_losses"] = []
        h = s["history"]
        h["train_loss"].append(train)
        h["val_loss"].append(val)
        h["lr"].append(scheduled_lr(self.cfg, s["epoch"], s["plateau_scale"]))
        h["val_metrics"].append({k: float(v) for k, v in metrics.items()})
        extra = " ".join(f"{k}={v:.4f}" for k, v in metrics.items() if k != "loss")
        watched = f"val {val:.4f} {extra}" if has_val else "(no validation split)"
        self.log(f"epoch {s['epoch'] + 1}: train {train:.4f} {watched} lr {h['lr'][-1]:.2e}")
        if val < s["best_loss"] - self.cfg.min_delta:
            s["best_loss"] = val
            s["bad_epochs"] = 0
            s["plateau_bad"] = 0
            self.best_model = copy.deepcopy(self.task.model.state_dict())
            h["best_epoch"] = s["epoch"]
        else:
            s["bad_epochs"] += 1
            s["plateau_bad"] += 1
            if s["plateau_bad"] >= self.cfg.plateau_patience:
                s["plateau_scale"] *= self.cfg.plateau_factor
                s["plateau_bad"] = 0
                self.log(f"plateau: learning rate x{self.cfg.plateau_factor}")
        s["epoch"] += 1
        if s["bad_epochs"] >= self.cfg.early_stop_patience:
            self.log(f"early stop: no improvement for {s['bad_epochs']} epochs")
            s["stop_reason"] = "early stop"
            return True
        s["stop_reason"] = "epochs"
        return s["epoch"] >= self.cfg.epochs

    def fit(self) -> dict:
        """Train to the end (or early stop), keep the best weights, and return the history."""
        s = self.state
        self.task.model.to(self.device)
        spe = self.cfg.steps_per_epoch
        started = time.monotonic()
        while not s["done"]:
            self._set_lr()
            loss = self.task.training_loss()
            if not math.isfinite(float(loss.detach())):
                raise AnimeidError(f"training diverged (loss {float(loss.detach())}) at step {s['step']}; "
                                   "lower the learning rate")
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            s["epoch_losses"].append(float(loss.detach()))
            s["step"] += 1
            if s["step"] % spe == 0:
                s["done"] = self._end_epoch()
            if s["done"] or s["step"] % self.cfg.checkpoint_every == 0:
                self.save()
            if self.stop_after_steps is not None and s["step"] >= self.stop_after_steps and not s["done"]:
                raise KeyboardInterrupt(f"stopped after {s['step']} steps")
        if self.best_model is not None:
            self.task.model.load_state_dict(self.best_model)
        self.log(f"finished {self.checkpoint.name}: {s['step']} steps, best watched loss {s['best_loss']:.4f} "
                 f"({time.monotonic() - started:.0f} s this session)")
        return s["history"]

"""What a training run is: its data and its settings, stored in every checkpoint so that a re-run
only resumes the run it belongs to.

Without it, `train ... --out M` on another dataset (or with another `--margin`, `--lr`,
`--views` ...) loaded the old checkpoint, trained nothing or mixed two configurations, and
relabelled the model with the new classes. The data is identified by the class names and a hash of
the decoded pixels and labels (not paths or mtimes: a copied or moved dataset is the same data,
and a changed image is not). A few settings may change on resume because they do not change what
the run computes, or because changing them is how a run is continued; they are listed in
`RESUMABLE_CHANGES`."""
from __future__ import annotations

import hashlib

from animeid.errors import AnimeidError

# Settings a resumed run may change: more (or fewer) epochs continue or shorten the run; the device
# and the checkpoint interval do not change the sequence of steps.
RESUMABLE_CHANGES = frozenset({"trainer.epochs", "warmup_epochs", "trainer.device", "trainer.checkpoint_every"})
# ... except in a stage that started from an earlier one: fine-tuning began from the warm-up's
# weights, so a longer warm-up would be trained, recorded in the history, and thrown away.
FIXED_IN_STAGE = {"finetune": frozenset({"warmup_epochs"})}

# Config keys as the user typed them, for the message.
FLAGS = {"trainer.lr": "--lr", "trainer.steps_per_epoch": "--steps-per-epoch", "trainer.optimizer": "--optimizer",
         "trainer.seed": "--seed", "trainer.step_every": "--step-every", "augmented_views": "--views",
         "val_fraction": "--val-fraction", "freeze_blocks": "--freeze-blocks", "margin": "--margin",
         "dim": "--dim", "backbone": "--backbone", "warmup_epochs": "--warmup-epochs"}


def data_fingerprint(images, dataset) -> str:
    """Hash of the class names, the labels and every decoded image (shape and pixels)."""
    h = hashlib.sha1()
    h.update("\n".join(dataset.classes).encode())
    h.update(bytes(memoryview(dataset.labels.astype("<i8"))))
    for img in images:
        h.update(str(img.shape).encode())
        h.update(img.tobytes())
    return h.hexdigest()


def run_identity(images, dataset, cfg) -> dict:
    return {"classes": list(dataset.classes), "images": len(images), "data": data_fingerprint(images, dataset),
            "cfg": cfg.to_dict()}


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = list(v) if isinstance(v, tuple) else v
    return out


def _classes(names: list[str]) -> str:
    return ", ".join(names[:4]) + (f" ... ({len(names)} classes)" if len(names) > 4 else "")


def check_same_run(saved: dict | None, current: dict, checkpoint, stage: str | None = None) -> None:
    """Refuse to resume `checkpoint` (whose stored identity is `saved`) for another run; `stage`
    is the checkpoint's training stage (see `FIXED_IN_STAGE`)."""
    if saved is None:
        return  # a checkpoint from before identities were stored: nothing to compare
    hint = "use the same data and settings to resume it, pass --restart to start over, or use another --out folder"
    if saved.get("classes") != current["classes"]:
        raise AnimeidError(f"{checkpoint} was trained on other data (classes {_classes(saved.get('classes') or [])}; "
                           f"this dataset: {_classes(current['classes'])}); {hint}")
    if saved.get("data") != current["data"]:
        raise AnimeidError(f"{checkpoint} was trained on other images of the same classes ({saved.get('images')} "
                           f"images then, {current['images']} now, or changed files); {hint}")
    before, now = _flat(saved.get("cfg") or {}), _flat(current["cfg"])
    may_change = RESUMABLE_CHANGES - FIXED_IN_STAGE.get(stage, frozenset())
    changed = sorted(k for k in set(before) | set(now) if k not in may_change and before.get(k) != now.get(k))
    if changed:
        shown = ", ".join(f"{FLAGS.get(k, k)} {before.get(k)!r} -> {now.get(k)!r}" for k in changed[:4])
        more = f" and {len(changed) - 4} more" if len(changed) > 4 else ""
        why = "; fine-tuning has started from the warm-up" if set(changed) & FIXED_IN_STAGE.get(stage, set()) else ""
        raise AnimeidError(f"{checkpoint} was trained with other settings ({shown}{more}){why}; {hint}")

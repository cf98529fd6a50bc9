"""`eval --method best`: one fine-tuned `TailClassifier` per backbone, softmax outputs averaged.

The backbones (Lite0 at 224 px, Lite1 at 240, Lite2 at 260) make different mistakes: on
moeimouto10 each alone reached 0.92-0.96 and their average 0.97, so the ensemble is the method.
Unlike the row-based methods it needs the images (the tails are trained on cached prefix
activations), so `evaluation.run_eval` calls `evaluate_finetune` instead of `evaluate_rows`."""
from __future__ import annotations

import sys
import time
from dataclasses import replace

import numpy as np

from animeid.evaluate import metrics
from animeid.recognize.config import EvalCfg, FineTuneCfg
from animeid.recognize.prefix_bank import PrefixBank
from animeid.recognize.tail_classifier import TailClassifier


class FineTuneEnsemble:
    def __init__(self, cfg: FineTuneCfg = FineTuneCfg()):
        if len(cfg.trainable_blocks) != len(cfg.backbones):
            raise ValueError("FineTuneCfg: one trainable_blocks entry per backbone")
        self.cfg = cfg
        self.members: list[TailClassifier] = []
        self.classes: list = []
        self.fit_seconds: dict[str, float] = {}

    def fit(self, bank: PrefixBank, rows: np.ndarray, labels: list, timer=None) -> "FineTuneEnsemble":
        self.members = []
        for backbone in self.cfg.backbones:
            with _stage(timer, f"fine-tune {backbone}"):
                t = time.perf_counter()
                # members that differ only by seed (sampling, augmentation draw, dropout) average out
                # the run-to-run spread of a fine-tune on a few hundred images
                for k in range(self.cfg.seeds_per_backbone):
                    cfg = replace(self.cfg, seed=self.cfg.seed + k)
                    self.members.append(TailClassifier(backbone, cfg).fit(bank, rows, labels))
                self.fit_seconds[backbone] = round(time.perf_counter() - t, 3)
        self.classes = self.members[0].classes
        return self

    def scores(self, bank: PrefixBank, rows: np.ndarray) -> np.ndarray:
        """(n, n_classes) probabilities, the mean of the members' test-view-averaged softmax."""
        return np.mean([m.predict_proba(bank, rows) for m in self.members], axis=0)

    def embed(self, bank: PrefixBank, rows: np.ndarray) -> np.ndarray:
        """The fine-tuned backbones cut out as one embedder, S1's design (train, then k-NN over the
        embeddings): each member's pooled features averaged over the test views, L2-normalised so
        every backbone weighs the same in a cosine comparison, members side by side."""
        from animeid.features.embedder import l2_normalize

        def member(m):
            return l2_normalize(np.mean([l2_normalize(m.pooled(bank, rows, v)) for v in self.cfg.test_views], axis=0))

        return np.concatenate([member(m) for m in self.members], axis=1)

    def pooled(self, bank: PrefixBank, rows: np.ndarray) -> list[np.ndarray]:
        return [m.pooled(bank, rows) for m in self.members]

    def scores_from_pooled(self, pooled: list[np.ndarray]) -> np.ndarray:
        """Probabilities from one view's pooled features (cheap training accuracy)."""
        def softmax(z):
            z = np.exp(z - z.max(axis=1, keepdims=True))
            return z / z.sum(axis=1, keepdims=True)

        return np.mean([softmax(m.logits_from_pooled(p)) for m, p in zip(self.members, pooled)], axis=0)


def _stage(timer, name: str):
    """The timer's stage, or nothing when no timer is given."""
    from contextlib import nullcontext

    return timer.stage(name) if timer is not None else nullcontext()


def evaluate_finetune(paths: list, labels: list[str], splits: list, cfg: EvalCfg, timer,
                      progress: bool = True, bank: PrefixBank | None = None,
                      classifier: str = "softmax") -> tuple[dict, np.ndarray, str]:
    """Like `evaluation.evaluate_rows` for the fine-tuned ensemble. `classifier` is "softmax" (`best`:
    the members' averaged softmax) or "knn" (`knn`: the row-based k-NN over `FineTuneEnsemble.embed`,
    k and weighting chosen on inner folds of the training rows). Returns the pooled result, the
    feature rows for the t-SNE plot (the embeddings of every image under the model of the last
    split) and a description."""
    from animeid.recognize.methods import fit_method

    if classifier not in ("softmax", "knn"):
        raise ValueError(f"classifier must be softmax or knn, not {classifier!r}")
    ft = cfg.finetune
    log = (lambda s: print(f"animeid: {s}", file=sys.stderr, flush=True)) if progress else (lambda s: None)
    bank = bank or PrefixBank(paths, ft, log=log)
    y = np.asarray(labels, dtype=object)
    with _stage(timer, "load images"):
        bank.images()
    train_rows = np.unique(np.concatenate([sp.train for sp in splits]))
    for backbone in ft.backbones:
        with _stage(timer, f"prefix activations {backbone}"):
            bank.prepare(backbone, train_rows)
    truth, pred, ranked, train_acc, chosen, notes = [], [], [], [], [], []
    fit_s = 0.0
    model, x_plot = None, None
    for k, sp in enumerate(splits):
        t = time.perf_counter()
        model = FineTuneEnsemble(ft).fit(bank, sp.train, list(y[sp.train]), timer)
        fit_s += time.perf_counter() - t
        log(f"fine-tuned split {k + 1}/{len(splits)} in {time.perf_counter() - t:.0f} s")
        detail = {"fit_seconds": dict(model.fit_seconds),
                  "final_train_loss": {m.backbone: round(m.history[-1], 4) for m in model.members if m.history}}
        if classifier == "knn":
            with _stage(timer, "embed knn"):
                x_plot = model.embed(bank, np.arange(len(y)))
            with _stage(timer, "fit knn"):
                fitted = fit_method("knn", x_plot[sp.train], list(y[sp.train]), cfg)
            with _stage(timer, "predict knn"):
                s, classes = fitted.scores(x_plot[sp.test]), fitted.classes
                train_pred = fitted.predict(x_plot[sp.train])
            detail["knn"] = fitted.chosen
            if fitted.search_note and fitted.search_note not in notes:
                notes.append(fitted.search_note)
        else:
            with _stage(timer, "predict best"):
                s, classes = model.scores(bank, sp.test), model.classes
                tr = model.scores_from_pooled(model.pooled(bank, sp.train))
            train_pred = [classes[i] for i in np.argmax(tr, axis=1)]
        train_acc.append(metrics.accuracy(list(y[sp.train]), train_pred))
        truth += list(y[sp.test])
        pred += [classes[i] for i in np.argmax(s, axis=1)]
        ranked += metrics.ranked_labels(s, classes)
        chosen.append(detail)
    out = metrics.summary(truth, pred, ranked, cfg.top_k)
    out.update({"train_accuracy": float(np.mean(train_acc)), "fit_seconds": round(fit_s, 3), "chosen": chosen,
                "truth": truth, "pred": pred, "ranked": ranked, "search_notes": notes})
    if x_plot is None:
        with _stage(timer, "plot features"):
            x_plot = model.embed(bank, np.arange(len(y)))
    blocks = ", ".join(f"{b} last {n} blocks" for b, n in zip(ft.backbones, ft.trainable_blocks))
    head = (f"k-NN (centred, cosine) over the fine-tuned pooled features averaged over {', '.join(ft.test_views)}"
            if classifier == "knn" else f"softmax averaged over {', '.join(ft.test_views)} and backbones")
    desc = (f"fine-tuned {blocks}; {ft.augmented_views} augmented views + image + mirror cached before the "
            f"prefix; {ft.epochs} epochs, label smoothing {ft.label_smoothing:g}; {head}")
    return out, x_plot, desc

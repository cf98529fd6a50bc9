"""Multi-label metrics as pure functions of 0/1 matrices (n_samples, n_labels) and scores.

Written out rather than borrowed from scikit-learn so the zero-division conventions are explicit
and the per-genre table, the CLI and the report all agree on one definition: a ratio with an empty
denominator is 0 (a genre never predicted has precision 0, never "undefined")."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def _as01(a) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim != 2:
        raise ValueError(f"expected a 2-d label matrix, got shape {a.shape}")
    return (a > 0).astype(np.int64)


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else 0.0


def _counts(y_true, y_pred) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t, p = _as01(y_true), _as01(y_pred)
    if t.shape != p.shape:
        raise ValueError(f"shapes differ: {t.shape} vs {p.shape}")
    tp = (t & p).sum(axis=0)
    fp = ((1 - t) & p).sum(axis=0)
    fn = (t & (1 - p)).sum(axis=0)
    return tp, fp, fn


def f1_from_counts(tp: float, fp: float, fn: float) -> float:
    return _ratio(2 * tp, 2 * tp + fp + fn)


def micro_precision(y_true, y_pred) -> float:
    tp, fp, _ = _counts(y_true, y_pred)
    return _ratio(tp.sum(), tp.sum() + fp.sum())


def micro_recall(y_true, y_pred) -> float:
    tp, _, fn = _counts(y_true, y_pred)
    return _ratio(tp.sum(), tp.sum() + fn.sum())


def micro_f1(y_true, y_pred) -> float:
    tp, fp, fn = _counts(y_true, y_pred)
    return f1_from_counts(tp.sum(), fp.sum(), fn.sum())


def per_label_f1(y_true, y_pred) -> np.ndarray:
    tp, fp, fn = _counts(y_true, y_pred)
    return np.array([f1_from_counts(a, b, c) for a, b, c in zip(tp, fp, fn)])


def macro_f1(y_true, y_pred) -> float:
    """Mean F1 over labels that occur in y_true (a label absent from the truth has no F1 to speak of)."""
    t = _as01(y_true)
    present = t.sum(axis=0) > 0
    f1 = per_label_f1(y_true, y_pred)
    return float(f1[present].mean()) if present.any() else 0.0


def macro_precision(y_true, y_pred) -> float:
    tp, fp, _ = _counts(y_true, y_pred)
    present = _as01(y_true).sum(axis=0) > 0
    vals = [_ratio(a, a + b) for a, b in zip(tp[present], fp[present])]
    return float(np.mean(vals)) if vals else 0.0


def macro_recall(y_true, y_pred) -> float:
    tp, _, fn = _counts(y_true, y_pred)
    present = _as01(y_true).sum(axis=0) > 0
    vals = [_ratio(a, a + b) for a, b in zip(tp[present], fn[present])]
    return float(np.mean(vals)) if vals else 0.0


def hamming_loss(y_true, y_pred) -> float:
    t, p = _as01(y_true), _as01(y_pred)
    return float((t != p).mean()) if t.size else 0.0


def subset_accuracy(y_true, y_pred) -> float:
    t, p = _as01(y_true), _as01(y_pred)
    return float((t == p).all(axis=1).mean()) if len(t) else 0.0


def average_precision(truth: np.ndarray, scores: np.ndarray) -> float:
    """Area under one label's precision-recall curve as the mean of precision at each positive
    (ties broken pessimistically: positives ranked after equally scored negatives)."""
    truth = np.asarray(truth).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    n_pos = int(truth.sum())
    if n_pos == 0:
        return 0.0
    order = np.lexsort((truth.astype(int), -scores))  # by score desc, negatives first on ties
    hits = truth[order]
    cum = np.cumsum(hits)
    ranks = np.arange(1, len(hits) + 1)
    return float((cum[hits] / ranks[hits]).sum() / n_pos)


def mean_average_precision(y_true, scores) -> float:
    """Mean over labels present in y_true of each label's average precision."""
    t = _as01(y_true)
    s = np.asarray(scores, dtype=np.float64)
    aps = [average_precision(t[:, j], s[:, j]) for j in range(t.shape[1]) if t[:, j].any()]
    return float(np.mean(aps)) if aps else 0.0


def per_label_table(y_true, y_pred, labels: Sequence[str], scores=None,
                    thresholds: Sequence[float] | None = None) -> list[dict]:
    """One row per label: support, predicted count, precision, recall, F1 (and AP, threshold)."""
    t = _as01(y_true)
    tp, fp, fn = _counts(y_true, y_pred)
    rows = []
    for j, name in enumerate(labels):
        row = {"genre": name, "support": int(t[:, j].sum()), "predicted": int(tp[j] + fp[j]),
               "precision": _ratio(tp[j], tp[j] + fp[j]), "recall": _ratio(tp[j], tp[j] + fn[j]),
               "f1": f1_from_counts(tp[j], fp[j], fn[j])}
        if scores is not None:
            row["ap"] = average_precision(t[:, j], np.asarray(scores)[:, j])
        if thresholds is not None:
            row["threshold"] = float(thresholds[j])
        rows.append(row)
    return rows


def multilabel_summary(y_true, y_pred, scores=None) -> dict:
    """Every headline figure the genre report prints, in one dict."""
    out = {
        "micro_f1": micro_f1(y_true, y_pred), "macro_f1": macro_f1(y_true, y_pred),
        "micro_precision": micro_precision(y_true, y_pred), "micro_recall": micro_recall(y_true, y_pred),
        "macro_precision": macro_precision(y_true, y_pred), "macro_recall": macro_recall(y_true, y_pred),
        "hamming_loss": hamming_loss(y_true, y_pred), "subset_accuracy": subset_accuracy(y_true, y_pred),
        "label_density_true": float(_as01(y_true).mean()) if np.size(y_true) else 0.0,
        "label_density_pred": float(_as01(y_pred).mean()) if np.size(y_pred) else 0.0,
    }
    if scores is not None:
        out["mAP"] = mean_average_precision(y_true, scores)
    return out

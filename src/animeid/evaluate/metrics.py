"""Classification metrics as pure functions of label arrays, so every method, report and test
computes them the same way and nothing here depends on a model, a file or a plot.

Convention (seed report S1): confusion matrices have rows = predicted class, columns = true class."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def accuracy(y_true: Sequence, y_pred: Sequence) -> float:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if len(y_true) != len(y_pred):
        raise ValueError("y_true and y_pred differ in length")
    return float(np.mean(y_true == y_pred)) if len(y_true) else 0.0


def top_k_accuracy(y_true: Sequence, ranked: Sequence[Sequence], k: int = 5) -> float:
    """Share of samples whose true label is among the first k of its ranked predictions."""
    if len(y_true) != len(ranked):
        raise ValueError("y_true and ranked differ in length")
    if not len(y_true):
        return 0.0
    return float(np.mean([t in list(r)[:k] for t, r in zip(y_true, ranked)]))


def ranked_labels(scores: np.ndarray, classes: Sequence) -> list[list]:
    """Class labels ordered by descending score, one list per row of `scores` (n, n_classes)."""
    order = np.argsort(-np.asarray(scores), axis=1, kind="stable")
    classes = list(classes)
    return [[classes[j] for j in row] for row in order]


def confusion_matrix(y_true: Sequence, y_pred: Sequence, labels: Sequence | None = None) -> tuple[np.ndarray, list]:
    """(matrix, labels) with matrix[i, j] = number of samples predicted labels[i] whose truth is
    labels[j]. Labels default to the sorted union of both arrays."""
    y_true, y_pred = list(y_true), list(y_pred)
    if len(y_true) != len(y_pred):
        raise ValueError("y_true and y_pred differ in length")
    labels = sorted(set(y_true) | set(y_pred), key=str) if labels is None else list(labels)
    pos = {lab: i for i, lab in enumerate(labels)}
    m = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        if t in pos and p in pos:
            m[pos[p], pos[t]] += 1
    return m, labels


def per_class_prf(y_true: Sequence, y_pred: Sequence, labels: Sequence | None = None) -> list[dict]:
    """Precision, recall, F1 and support per class. An undefined ratio (no predictions or no
    support) counts as 0, as scikit-learn's `zero_division=0` does. Counts come from the label
    arrays themselves, not from a confusion matrix over `labels`: a wrong answer naming a class
    outside `labels` is still a miss of the true class."""
    y_true, y_pred = np.asarray(list(y_true), dtype=object), np.asarray(list(y_pred), dtype=object)
    if len(y_true) != len(y_pred):
        raise ValueError("y_true and y_pred differ in length")
    if labels is None:
        labels = sorted(set(y_true.tolist()) | set(y_pred.tolist()), key=str)
    rows = []
    for lab in labels:
        is_true, is_pred = y_true == lab, y_pred == lab
        tp = int(np.sum(is_true & is_pred))
        predicted = int(np.sum(is_pred))
        support = int(np.sum(is_true))
        p = tp / predicted if predicted else 0.0
        r = tp / support if support else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        rows.append({"label": lab, "precision": float(p), "recall": float(r), "f1": float(f),
                     "support": int(support)})
    return rows


def macro_f1(y_true: Sequence, y_pred: Sequence, labels: Sequence | None = None) -> float:
    """Unweighted mean F1 over the classes that occur in the truth (or the given labels)."""
    if labels is None:
        labels = sorted(set(y_true), key=str)
    rows = per_class_prf(y_true, y_pred, labels)
    return float(np.mean([r["f1"] for r in rows])) if rows else 0.0


def summary(y_true: Sequence, y_pred: Sequence, ranked: Sequence[Sequence] | None = None, k: int = 5) -> dict:
    """Every headline figure a report needs, in one dict."""
    labels = sorted(set(y_true), key=str)
    out = {"n": len(y_true), "accuracy": accuracy(y_true, y_pred), "macro_f1": macro_f1(y_true, y_pred, labels)}
    if ranked is not None:
        out[f"top{k}_accuracy"] = top_k_accuracy(y_true, ranked, k)
    return out

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


def macro_f1_labels(y_true: Sequence, y_pred: Sequence) -> list:
    """The labels a macro-F1 averages over: every label that is true or predicted at least once
    (scikit-learn's default). Truth alone would leave out a trained class the test set lacks but
    the model answers, whose F1 is 0, and the headline would disagree with the per-class table."""
    return sorted(set(list(y_true)) | set(list(y_pred)), key=str)


def macro_f1(y_true: Sequence, y_pred: Sequence, labels: Sequence | None = None) -> float:
    """Unweighted mean F1 over the labels that are true or predicted (or over the given labels)."""
    if labels is None:
        labels = macro_f1_labels(y_true, y_pred)
    rows = per_class_prf(y_true, y_pred, labels)
    return float(np.mean([r["f1"] for r in rows])) if rows else 0.0


def summary(y_true: Sequence, y_pred: Sequence, ranked: Sequence[Sequence] | None = None, k: int = 5) -> dict:
    """Every headline figure a report needs, in one dict; `macro_f1_n_labels` says how many labels
    the macro-F1 is the mean over (those true or predicted)."""
    labels = macro_f1_labels(y_true, y_pred)
    out = {"n": len(y_true), "accuracy": accuracy(y_true, y_pred), "macro_f1": macro_f1(y_true, y_pred, labels),
           "macro_f1_n_labels": len(labels)}
    if ranked is not None:
        out[f"top{k}_accuracy"] = top_k_accuracy(y_true, ranked, k)
    return out


def per_fold(y_true: Sequence, y_pred: Sequence, folds: Sequence[int]) -> dict:
    """Accuracy and macro-F1 of each fold's own test rows, with their mean and standard deviation
    (population, ddof=0, as scikit-learn's `cv_results_`). Pooled figures hide how much a result
    moves between folds; this is that spread. `folds[i]` is the fold that tested row i."""
    y_true, y_pred, folds = list(y_true), list(y_pred), list(folds)
    if not len(y_true) == len(y_pred) == len(folds):
        raise ValueError("y_true, y_pred and folds differ in length")
    rows = []
    for f in sorted(set(folds)):
        t = [a for a, g in zip(y_true, folds) if g == f]
        p = [a for a, g in zip(y_pred, folds) if g == f]
        rows.append({"fold": int(f), "n": len(t), "accuracy": accuracy(t, p), "macro_f1": macro_f1(t, p)})
    out: dict = {"folds": rows}
    for key in ("accuracy", "macro_f1"):
        vals = np.asarray([r[key] for r in rows], dtype=float)
        out[f"{key}_mean"] = float(vals.mean()) if len(vals) else 0.0
        out[f"{key}_std"] = float(vals.std()) if len(vals) else 0.0
    return out

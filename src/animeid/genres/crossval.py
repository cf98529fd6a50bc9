"""Cross-validated evaluation with the baselines computed on the very same folds.

Everything tuned (thresholds, Optuna's choices) is tuned inside each training fold; the test fold
only ever sees a finished model. Metrics are pooled over all out-of-fold predictions (each poster is
predicted exactly once), with the per-fold spread of micro-F1 beside them."""
from __future__ import annotations

import time
from typing import Callable

import numpy as np

from animeid.evaluate.multilabel import micro_f1, multilabel_summary, per_label_table
from animeid.genres.config import GenreCfg
from animeid.genres.decision_rule import DecisionRule
from animeid.genres.split import stratified_folds
from animeid.genres.thresholds import apply_thresholds, threshold_grid
from animeid.genres.training import fit_genres

# fit(train_rows, y_train) -> (scores_fn(test_rows) -> scores, thresholds or a DecisionRule). Rows, not
# features, so a model on pixels (the CNN baseline) and models on embeddings share one loop and folds.
FitFn = Callable[[np.ndarray, np.ndarray], tuple[Callable[[np.ndarray], np.ndarray], np.ndarray]]


def most_frequent_baseline(y_train: np.ndarray, n_test: int) -> tuple[np.ndarray, np.ndarray]:
    """Predict the m most frequent training genres for every poster, m chosen for training micro-F1."""
    freq = y_train.mean(axis=0)
    order = np.argsort(-freq, kind="stable")
    best_m, best_f1 = 1, -1.0
    for m in range(1, min(6, y_train.shape[1]) + 1):
        pred = np.zeros_like(y_train)
        pred[:, order[:m]] = 1
        f1 = micro_f1(y_train, pred)
        if f1 > best_f1 + 1e-12:
            best_m, best_f1 = m, f1
    pred = np.zeros((n_test, y_train.shape[1]), dtype=np.uint8)
    pred[:, order[:best_m]] = 1
    return pred, np.tile(freq, (n_test, 1))


def prior_baseline(y_train: np.ndarray, n_test: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Each genre predicted at random with its training frequency (DummyClassifier 'stratified')."""
    freq = y_train.mean(axis=0)
    rng = np.random.default_rng(seed)
    pred = (rng.random((n_test, y_train.shape[1])) < freq).astype(np.uint8)
    return pred, np.tile(freq, (n_test, 1))


def default_fit(x: np.ndarray, cfg: GenreCfg) -> FitFn:
    def fit(rows, y):
        fitted = fit_genres(x[rows], y, cfg)
        return (lambda test_rows: fitted.predictor.scores(x[test_rows])), fitted.decision

    return fit


def pooled_threshold_curve(y: np.ndarray, scores: np.ndarray, grid, fold_rules: list[tuple[np.ndarray, DecisionRule]]
                           ) -> np.ndarray:
    """Micro-F1 of the pooled out-of-fold predictions at each global threshold, each test fold
    decided as its model decides (its top-k rule and its genre cap): the curve a model's tuned
    threshold was chosen on (`tune_global_threshold` applies both), not an uncapped curve showing
    micro-F1 the capped model cannot reach."""
    out = []
    for th in grid:
        pred = np.zeros(y.shape, dtype=np.uint8)
        for te, rule in fold_rules:
            pred[te] = apply_thresholds(scores[te], th, rule.min_predicted, rule.max_predicted)
        out.append(micro_f1(y, pred))
    return np.array(out)


def cross_validate(y: np.ndarray, genres: list[str], models: dict[str, FitFn], cfg: GenreCfg = GenreCfg(),
                   n_folds: int = 5,
                   progress: Callable[[str], None] | None = None) -> dict:
    """Figures for each model in `models` (e.g. {"model": default_fit(x, cfg)}) and both baselines."""
    folds = stratified_folds(y, n_folds, cfg.seed)
    n, g = y.shape
    results: dict[str, dict] = {}
    scores = {name: np.zeros((n, g)) for name in list(models) + ["most_frequent", "prior"]}
    preds = {name: np.zeros((n, g), dtype=np.uint8) for name in scores}
    thresholds = {name: [] for name in models}
    rules: dict[str, list[tuple[np.ndarray, DecisionRule]]] = {name: [] for name in models}
    fold_f1 = {name: [] for name in scores}
    seconds = {name: 0.0 for name in models}
    for k, (tr, te) in enumerate(folds):
        for name, fit in models.items():
            t0 = time.perf_counter()
            score_fn, rule = fit(tr, y[tr])
            if not isinstance(rule, DecisionRule):
                rule = DecisionRule(np.asarray(rule, dtype=np.float64), cfg.min_predicted, 0)
            s = score_fn(te)
            seconds[name] += time.perf_counter() - t0
            scores[name][te] = s
            preds[name][te] = rule.apply(s)
            thresholds[name].append(np.asarray(rule.thresholds, dtype=np.float64))
            rules[name].append((te, rule))
        preds["most_frequent"][te], scores["most_frequent"][te] = most_frequent_baseline(y[tr], len(te))
        preds["prior"][te], scores["prior"][te] = prior_baseline(y[tr], len(te), cfg.seed + k)
        for name in scores:
            fold_f1[name].append(micro_f1(y[te], preds[name][te]))
        if progress:
            progress(f"fold {k + 1}/{len(folds)}: " + ", ".join(f"{m} micro-F1 {fold_f1[m][-1]:.3f}" for m in scores))
    grid = threshold_grid(*cfg.threshold_grid)
    for name in scores:
        r = multilabel_summary(y, preds[name], scores[name])
        r["micro_f1_per_fold"] = [round(v, 4) for v in fold_f1[name]]
        r["micro_f1_fold_std"] = float(np.std(fold_f1[name]))
        if name in models:
            mean_th = np.mean(thresholds[name], axis=0)
            r["per_genre"] = per_label_table(y, preds[name], genres, scores[name], mean_th)
            r["threshold_curve"] = {"thresholds": grid.tolist(),
                                    "micro_f1": pooled_threshold_curve(y, scores[name], grid, rules[name]).tolist(),
                                    "max_predicted_per_fold": [int(r.max_predicted) for _, r in rules[name]]}
            r["seconds"] = seconds[name]
        results[name] = r
    return {"n_posters": int(n), "n_genres": int(g), "folds": len(folds),
            "label_density": float(y.mean()), "genres": list(genres), "results": results}

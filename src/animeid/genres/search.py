"""Optuna search over the head (in place of S4's AutoKeras): head type and size, loss, learning
rate, regularisation, k-NN blend and which frozen embedders to concatenate.

Each trial is scored by micro-F1 (or minus Hamming loss, with that threshold objective) of inner
out-of-fold predictions over the posters it is given,
which are only ever training posters: cross-validation calls it inside each outer training fold."""
from __future__ import annotations

import numpy as np

from animeid.evaluate.multilabel import hamming_loss, micro_f1
from animeid.genres.config import GenreCfg
from animeid.genres.decision_rule import resolve_max_predicted
from animeid.genres.thresholds import apply_thresholds, threshold_grid, tune_thresholds
from animeid.genres.training import out_of_fold_scores


def stack_blocks(blocks: dict[str, np.ndarray], names: tuple[str, ...]) -> np.ndarray:
    return np.concatenate([blocks[n] for n in names], axis=1)


def embedder_choices(names: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Each embedder alone, plus all of them together."""
    out = [(n,) for n in names]
    if len(names) > 1:
        out.append(tuple(names))
    return out


def trial_cfg(trial, base: GenreCfg, embedder_names: tuple[str, ...]) -> GenreCfg:
    choices = embedder_choices(embedder_names)
    pick = trial.suggest_categorical("embedders", ["+".join(c) for c in choices])
    head = trial.suggest_categorical("head", ["logreg", "mlp"])
    changes = {"embedders": tuple(pick.split("+")), "head": head,
               "knn_weight": trial.suggest_float("knn_weight", 0.0, 0.8)}
    if head == "logreg":
        changes["C"] = trial.suggest_float("C", 1e-3, 1.0, log=True)
    else:
        changes.update(hidden=trial.suggest_categorical("hidden", [0, 64, 256]),
                       loss=trial.suggest_categorical("loss", ["bce", "focal"]),
                       lr=trial.suggest_float("lr", 1e-3, 3e-2, log=True),
                       weight_decay=trial.suggest_float("weight_decay", 1e-4, 1.0, log=True),
                       dropout=trial.suggest_float("dropout", 0.0, 0.5),
                       epochs=trial.suggest_int("epochs", 50, 300, step=50))
    return base.replace(**changes)


def score_cfg(blocks: dict[str, np.ndarray], y: np.ndarray, cfg: GenreCfg) -> float:
    x = stack_blocks(blocks, cfg.embedders)
    oof = out_of_fold_scores(x, y, cfg)
    cap = resolve_max_predicted(cfg.max_predicted, y)
    th, _ = tune_thresholds(y, oof, threshold_grid(*cfg.threshold_grid), cfg.min_positives_per_genre_threshold,
                            cfg.threshold_shrinkage, cfg.min_predicted, cfg.threshold_objective, cap)
    pred = apply_thresholds(oof, th, cfg.min_predicted, cap)
    return -hamming_loss(y, pred) if cfg.threshold_objective == "hamming" else micro_f1(y, pred)


def search_cfg(blocks: dict[str, np.ndarray], y: np.ndarray, base: GenreCfg = GenreCfg(), n_trials: int = 20,
               timeout: float | None = None) -> tuple[GenreCfg, float, list[dict]]:
    """Best config, its inner-CV micro-F1, and every trial (params, value). The default config is
    always trial 0, so a search can only ever match or beat it on the training folds."""
    import optuna

    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        from animeid.errors import AnimeidError

        raise AnimeidError(f"--search {n_trials}: an Optuna search needs at least 1 trial")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    names = tuple(n for n in base.embedders if n in blocks)
    sampler = optuna.samplers.TPESampler(seed=base.seed)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.enqueue_trial({"embedders": "+".join(names), "head": base.head, "knn_weight": base.knn_weight,
                         "C": base.C})
    study.optimize(lambda t: score_cfg(blocks, y, trial_cfg(t, base, names)), n_trials=n_trials, timeout=timeout)
    best = trial_cfg(optuna.trial.FixedTrial(study.best_params), base, names)
    trials = [{"number": t.number, "value": t.value, "params": t.params} for t in study.trials
              if t.value is not None]
    return best, float(study.best_value), trials

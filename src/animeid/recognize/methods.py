"""The recognition methods `animeid eval` compares, each a scikit-learn estimator fitted on
feature rows with its hyperparameters searched on the training folds only (never the test set).

Names: `baseline` (frozen Lite0 + logistic regression, the bar every method is printed beside),
`knn`, `linear`, `svm`, and `classical:<model>` for S2's seven models. `best` fine-tunes the
backbones and works on images, not rows: see `finetune_ensemble.py`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from animeid.errors import AnimeidError
from animeid.recognize.config import EvalCfg

CLASSICAL_MODELS = ("lr", "lda", "knn", "cart", "rf", "nb", "svm")
CLASSICAL_NAMES = {"lr": "logistic regression", "lda": "linear discriminant analysis", "knn": "k-NN",
                   "cart": "decision tree (CART)", "rf": "random forest", "nb": "Gaussian naive Bayes",
                   "svm": "SVM"}


@dataclass
class FittedMethod:
    """A fitted estimator plus what the search chose."""

    name: str
    estimator: object
    classes: list
    chosen: dict
    # mean inner-fold accuracy of the chosen setting (None when nothing was searched, not NaN, so
    # reports stay strict JSON): the honest way to pick between fitted methods, since the test rows
    # must not choose
    cv_score: float | None = None
    # why the search differed from a plain inner-fold search (classes left out, or none), else None
    search_note: str | None = None

    def scores(self, x: np.ndarray) -> np.ndarray:
        """(n, n_classes) scores, higher is better, columns in `classes` order."""
        est = self.estimator
        if hasattr(est, "predict_proba"):
            try:
                return np.asarray(est.predict_proba(x))
            except AttributeError:  # e.g. SVC without probability
                pass
        s = np.asarray(est.decision_function(x))
        if s.ndim == 1:  # binary problems give one column
            s = np.stack([-s, s], axis=1)
        return s

    def predict(self, x: np.ndarray) -> list:
        return [self.classes[i] for i in np.argmax(self.scores(x), axis=1)]


def _search_plan(y, cfg: EvalCfg):
    """(rows the inner folds use, the splitter) or None. A class with one image cannot sit in
    every inner fold, but it should not stop the search for every other class: the inner folds
    use the classes with at least two images (folds: `inner_folds`, fewer if the smallest such
    class has fewer images, at least 2) and the chosen setting is then fitted on all rows. None
    when fewer than two classes have two images (nothing to compare settings on)."""
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(y)
    names, counts = np.unique(y, return_counts=True)
    kept = names[counts >= 2]
    if len(kept) < 2:
        return None
    folds = int(min(cfg.inner_folds, counts[counts >= 2].min()))
    rows = np.flatnonzero(np.isin(y, kept))
    return rows, StratifiedKFold(n_splits=folds, shuffle=True, random_state=cfg.seed)


def _feasible_k(ks, y, cfg: EvalCfg) -> list[int]:
    """The neighbour counts an inner training fold can supply (a small training set has fewer
    rows than the largest k of the grid)."""
    plan = _search_plan(y, cfg)
    if plan is None:
        n_fit = len(y)
    else:
        n = len(plan[0])
        n_fit = n - -(-n // plan[1].get_n_splits())
    return [k for k in ks if k <= n_fit] or [max(1, min(ks[0], n_fit))]


def _search(pipeline, grid: dict, x, y, cfg: EvalCfg):
    """Grid search on inner folds of the training set (see `_search_plan`), then the chosen
    setting fitted on every training row. Returns (model, chosen, inner accuracy, note); the note
    says when the search left classes out or could not run, and with what defaults."""
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV

    y = np.asarray(y)
    plan = _search_plan(y, cfg)
    if plan is None:
        first = {k: v[0] for k, v in (grid[0] if isinstance(grid, list) else grid).items()}
        pipeline.set_params(**first)
        shown = {k: (type(v).__name__ if not isinstance(v, (int, float, str, type(None))) else v)
                 for k, v in first.items()}
        return pipeline.fit(x, y), first, None, (
            f"hyperparameters not searched: fewer than two classes have two training images; defaults {shown}")
    rows, cv = plan
    search = GridSearchCV(clone(pipeline), grid, cv=cv, n_jobs=1, error_score="raise")
    search.fit(x[rows], y[rows])
    if len(rows) == len(y):
        return search.best_estimator_, dict(search.best_params_), float(search.best_score_), None
    left = len(np.unique(y)) - len(np.unique(y[rows]))
    model = clone(pipeline).set_params(**search.best_params_).fit(x, y)
    return model, dict(search.best_params_), float(search.best_score_), (
        f"hyperparameters searched on the classes with two or more training images ({left} single-image "
        "class(es) left out of the inner folds), then fitted on all")


def _l2():
    from sklearn.preprocessing import Normalizer

    return Normalizer(norm="l2")


def build_baseline(cfg: EvalCfg):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=cfg.baseline_c, max_iter=3000), {}


def build_knn(cfg: EvalCfg):
    """S1's k-NN, on centred and re-normalised embeddings (SimpleShot's CL2N): ReLU features
    share a large mean direction that dominates raw cosine similarity; removing the training
    mean lets the directions that differ between images decide."""
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    pipe = Pipeline([("centre", StandardScaler(with_std=False)), ("l2", _l2()),
                     ("clf", KNeighborsClassifier(metric="cosine"))])
    return pipe, {"centre__with_std": [False, True], "clf__n_neighbors": list(cfg.knn_k),
                  "clf__weights": ["uniform", "distance"]}


def build_linear(cfg: EvalCfg):
    """A softmax head: multinomial logistic regression on standardised, re-normalised rows."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    pipe = Pipeline([("scale", StandardScaler()), ("l2", _l2()), ("clf", LogisticRegression(max_iter=3000))])
    return pipe, {"clf__C": list(cfg.linear_c)}


def build_svm(cfg: EvalCfg):
    """Standardise, L2, then a linear SVM (Crammer-free one-vs-rest) or logistic regression,
    whichever the inner folds prefer, with its C."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    pipe = Pipeline([("scale", StandardScaler()), ("l2", _l2()), ("clf", LinearSVC())])
    grid = [{"clf": [LinearSVC(max_iter=20000)], "clf__C": list(cfg.svm_c)},
            {"clf": [LogisticRegression(max_iter=3000)], "clf__C": list(cfg.linear_c[1:])}]
    return pipe, grid


def build_classical(model: str, cfg: EvalCfg):
    """S2's seven models with small grids (a few points each, so `classical:all` takes minutes)."""
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier

    seed = cfg.seed
    table: dict[str, tuple[object, dict]] = {
        "lr": (LogisticRegression(max_iter=3000), {"clf__C": [0.1, 1.0, 10.0]}),
        "lda": (LinearDiscriminantAnalysis(solver="lsqr"), {"clf__shrinkage": ["auto", 0.5]}),
        "knn": (KNeighborsClassifier(), {"clf__n_neighbors": [1, 5, 10], "clf__weights": ["uniform", "distance"]}),
        "cart": (DecisionTreeClassifier(random_state=seed), {"clf__max_depth": [None, 10, 20]}),
        "rf": (RandomForestClassifier(n_estimators=200, random_state=seed, n_jobs=1),
               {"clf__criterion": ["gini", "entropy"]}),
        "nb": (GaussianNB(), {"clf__var_smoothing": [1e-9, 1e-6, 1e-3]}),
        "svm": (SVC(), {"clf__kernel": ["rbf", "poly"], "clf__C": [1.0, 10.0]}),
    }
    if model not in table:
        raise AnimeidError(f"unknown classical model {model!r}; choose from {', '.join(CLASSICAL_MODELS)} or all")
    est, grid = table[model]
    return Pipeline([("scale", StandardScaler()), ("clf", est)]), grid


BUILDERS: dict[str, Callable[[EvalCfg], tuple[object, dict]]] = {
    "baseline": build_baseline, "knn": build_knn, "linear": build_linear, "svm": build_svm,
}


def fit_method(name: str, x: np.ndarray, y: list, cfg: EvalCfg = EvalCfg()) -> FittedMethod:
    if name.startswith("classical:"):
        est, grid = build_classical(name.split(":", 1)[1], cfg)
    elif name in BUILDERS:
        est, grid = BUILDERS[name](cfg)
    else:
        raise AnimeidError(f"unknown method {name!r}; choose knn, linear, svm or classical:<model>")
    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        raise AnimeidError("evaluation needs at least two labels with images")
    if isinstance(grid, dict) and "clf__n_neighbors" in grid:
        grid = {**grid, "clf__n_neighbors": _feasible_k(grid["clf__n_neighbors"], y, cfg)}
    if isinstance(grid, list) or any(len(v) > 1 for v in grid.values()):
        fitted, chosen, cv_score, note = _search(est, grid, np.asarray(x), y, cfg)
    else:
        fitted, chosen, cv_score, note = est.fit(x, y), {}, None, None
    chosen = {k: (type(v).__name__ if not isinstance(v, (int, float, str, type(None))) else v)
              for k, v in chosen.items()}
    return FittedMethod(name, fitted, list(fitted.classes_), chosen, cv_score, note)

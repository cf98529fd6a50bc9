"""`animeid eval`: one labelled data set, one method, the frozen Lite0 + LR baseline beside it,
every stage timed. Features are extracted once per (image, recipe) and shared by the baseline,
the method, classical models and the report's t-SNE."""
from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from animeid.errors import AnimeidError
from animeid.evaluate import metrics
from animeid.recognize.config import BASELINE_RECIPE, RICH_RECIPE, EvalCfg, FeatureRecipe
from animeid.features.efficientnet_lite import sha256_file
from animeid.recognize.datasets import MANIFEST, drop_unreadable, labelled_folder, manifest_split
from animeid.recognize.feature_extractor import FeatureExtractor
from animeid.recognize.methods import CLASSICAL_MODELS, fit_method

# row-based methods: eval name -> (estimator in methods.py, frozen feature recipe)
ROW_METHODS: dict[str, tuple[str, FeatureRecipe]] = {
    "linear": ("linear", RICH_RECIPE), "svm": ("svm", RICH_RECIPE)}
# methods that fine-tune the backbones first: eval name -> classifier over the fine-tuned ensemble
FINETUNE_METHODS = {"best": "softmax", "knn": "knn"}
METHODS = "knn, linear, svm, best or classical:<model|all>"


@dataclass
class Split:
    """Train/test rows for one evaluation round (a fixed split, or one outer fold)."""

    train: np.ndarray  # indices into the pooled image list
    test: np.ndarray


@dataclass
class EvalData:
    paths: list[Path]
    labels: list[str]
    splits: list[Split]
    description: str
    warnings: list[str] = field(default_factory=list)
    root: Path | None = None  # the folder test paths are shown relative to
    # test images with a byte-identical copy among their split's training images
    leaks: dict = field(default_factory=lambda: {"count": 0, "examples": []})

    def shown(self, i: int) -> str:
        """Image i's path relative to its data folder when it lies below it, else as given."""
        p = self.paths[i]
        if self.root is not None:
            try:
                return p.relative_to(self.root).as_posix()
            except ValueError:
                pass
        return str(p)


class Timer:
    def __init__(self):
        self.stages: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str):
        t = time.perf_counter()
        try:
            yield
        finally:
            self.stages[name] = round(self.stages.get(name, 0.0) + time.perf_counter() - t, 3)


def load_eval_data(train_dir: Path, test_dir: Path | None, folds: int | None, seed: int = 0) -> EvalData:
    if test_dir is not None and folds:
        raise AnimeidError("give either --test or --folds, not both")
    if test_dir is not None:
        tr = drop_unreadable(labelled_folder(train_dir), train_dir)
        te = drop_unreadable(labelled_folder(test_dir, warn_single=False), test_dir)
        desc = f"train {train_dir} ({len(tr)} images), test {test_dir} ({len(te)} images)"
    elif not folds and (pair := manifest_split(train_dir)) is not None:
        where = f"{train_dir}/{MANIFEST}"
        tr, te = drop_unreadable(pair[0], f"{where} train rows"), drop_unreadable(pair[1], f"{where} test rows")
        desc = f"{train_dir}/manifest.csv split: train+val {len(tr)} images, test {len(te)} images"
    else:
        data = drop_unreadable(labelled_folder(train_dir), train_dir)
        k = int(folds or 5)
        from sklearn.model_selection import StratifiedKFold

        counts = np.unique(data.labels, return_counts=True)[1]
        # without --test, --folds or a manifest, 5-fold cross-validation is the default: say so
        asked = f"--folds {k}" if folds else "5-fold cross-validation (the default without --test or --folds)"
        if counts.min() < k:
            raise AnimeidError(f"{asked} needs at least {k} images per label; the smallest label has "
                               f"{counts.min()} (give --test DIR, or fewer --folds)")
        skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
        splits = [Split(a, b) for a, b in skf.split(np.zeros(len(data)), data.labels)]
        how = f"{k}-fold cross-validation" + ("" if folds else " (default: no --test, --folds or manifest)")
        return _checked(EvalData(list(data.paths), list(data.labels), splits,
                                 f"{train_dir} ({len(data)} images), {how}", data.warnings, Path(train_dir)))
    unseen = sorted(set(te.labels) - set(tr.labels))
    warnings = tr.warnings + te.warnings
    if unseen:
        warnings.append(f"test labels absent from training are always wrong: {', '.join(unseen)}")
    n = len(tr)
    return _checked(EvalData(list(tr.paths) + list(te.paths), list(tr.labels) + list(te.labels),
                             [Split(np.arange(n), np.arange(n, n + len(te)))], desc, warnings,
                             Path(test_dir if test_dir is not None else train_dir)))


def _checked(data: EvalData, shown: int = 3) -> EvalData:
    """`data` with its leaks counted and, if any, warned about: a test image whose bytes equal a
    training image of the same split (`--train X --test X`, a manifest listing a file twice, a
    copy in two label folders) is answered from memory, and accuracy says nothing. Warned, not
    refused: a deliberate sanity run is allowed."""
    digests = [sha256_file(p) for p in data.paths]   # every image is trained on or tested in some split
    leaked = []
    for sp in data.splits:
        seen = {digests[int(i)] for i in sp.train}
        leaked += [int(i) for i in sp.test if digests[int(i)] in seen]
    if leaked:
        names = [data.shown(i) for i in leaked[:shown]]
        data.leaks = {"count": len(leaked), "examples": names}
        more = ", ..." if len(leaked) > shown else ""
        data.warnings.append(f"{len(leaked)} test image(s) are byte-identical to a training image "
                             f"({', '.join(names)}{more}): the figures overstate the method")
    return data


class FeatureBank:
    """Feature rows of the evaluation images per recipe (and hand features), computed once."""

    def __init__(self, paths: list[Path], timer: Timer, progress: bool = True):
        self.paths = paths
        self.timer = timer
        self.progress = progress
        self._rows: dict[str, np.ndarray] = {}
        self._extractors: dict[str, FeatureExtractor] = {}

    def rows(self, recipe: FeatureRecipe) -> np.ndarray:
        if recipe.key not in self._rows:
            from animeid.media.images import load_image

            fx = self._extractors.setdefault(recipe.key, FeatureExtractor(recipe))
            with self.timer.stage(f"embed {recipe.key}"), _bar(len(self.paths), f"embed {recipe.key}",
                                                              self.progress) as bar:
                self._rows[recipe.key] = fx.extract_sources(self.paths, load_image, progress=bar.update)
        return self._rows[recipe.key]

    def hand(self) -> np.ndarray:
        if "hand" not in self._rows:
            from animeid.features.classical import hand_features
            from animeid.media.images import load_image

            with self.timer.stage("hand features"), _bar(len(self.paths), "hand features", self.progress) as bar:
                rows = []
                for p in self.paths:
                    rows.append(hand_features(load_image(p)))
                    bar.update(1)
                self._rows["hand"] = np.stack(rows)
        return self._rows["hand"]


def _bar(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="img", disable=not enabled, file=sys.stderr, leave=False)


def evaluate_rows(name: str, x: np.ndarray, labels: list[str], splits: list[Split], cfg: EvalCfg,
                  timer: Timer, tag: str) -> dict:
    """Fit on each split's training rows, predict its test rows; pooled predictions and figures."""
    y = np.asarray(labels, dtype=object)
    truth, pred, ranked, chosen, train_acc, cv, notes = [], [], [], [], [], [], []
    fit_s = 0.0
    for sp in splits:
        with timer.stage(f"fit {tag}"):
            t = time.perf_counter()
            fitted = fit_method(name, x[sp.train], list(y[sp.train]), cfg)
            fit_s += time.perf_counter() - t
        with timer.stage(f"predict {tag}"):
            s = fitted.scores(x[sp.test])
            train_acc.append(metrics.accuracy(list(y[sp.train]), fitted.predict(x[sp.train])))
        truth += list(y[sp.test])
        pred += [fitted.classes[i] for i in np.argmax(s, axis=1)]
        ranked += metrics.ranked_labels(s, fitted.classes)
        chosen.append(fitted.chosen)
        cv.append(fitted.cv_score)
        if fitted.search_note and fitted.search_note not in notes:
            notes.append(fitted.search_note)
    out = metrics.summary(truth, pred, ranked, cfg.top_k)
    out.update({"train_accuracy": float(np.mean(train_acc)), "fit_seconds": round(fit_s, 3), "chosen": chosen,
                "inner_cv_accuracy": _mean_or_none(cv), "truth": truth, "pred": pred, "ranked": ranked,
                "search_notes": notes})
    return out


def _mean_or_none(values: list) -> float | None:
    """The mean inner-fold accuracy over the splits, or None when some split had no inner folds
    (fewer than two classes with two training images):
    a mean over the others would pass for the whole run's."""
    return None if any(v is None for v in values) else float(np.mean(values))


HAND, CNN = "hand (Hu+Haralick+HSV)", "cnn (frozen Lite0)"


def classical_table(bank: FeatureBank, data: EvalData, models: list[str], cfg: EvalCfg, timer: Timer) -> list[dict]:
    """S2's table: model x feature set -> train accuracy, test accuracy, fit time."""
    feature_sets = {HAND: bank.hand(), CNN: bank.rows(BASELINE_RECIPE)}
    rows = []
    for model in models:
        for fname, x in feature_sets.items():
            r = evaluate_rows(f"classical:{model}", x, data.labels, data.splits, cfg, timer, f"{model} on {fname}")
            rows.append({"model": model, "features": fname, "train_accuracy": r["train_accuracy"],
                         "inner_cv_accuracy": r["inner_cv_accuracy"], "test_accuracy": r["accuracy"],
                         "fit_seconds": r["fit_seconds"], "chosen": r["chosen"], "_result": r})
    return rows


def headline_row(table: list[dict]) -> dict:
    """The row `classical:<model|all>` reports as the method: the best inner-fold accuracy on the
    training rows. Taking the best test accuracy of up to 14 rows would let the test set choose and
    flatter the method. Without inner folds (fewer than two classes with two training images),
    S2's own pairing: logistic regression (or the first model) on the CNN features."""
    scored = [r for r in table if r["inner_cv_accuracy"] is not None]
    if scored:
        return max(scored, key=lambda r: r["inner_cv_accuracy"])
    cnn = [r for r in table if r["features"].startswith("cnn")]
    return next((r for r in cnn if r["model"] == "lr"), (cnn or table)[0])


def _row_notes(method: str, table: list[dict]) -> list[str]:
    """Each distinct search note of the classical table once, naming the rows it is about (or
    the method, when it holds for every row): 14 copies of one sentence hide the others."""
    rows: dict[str, list[str]] = {}
    for r in table:
        for n in r["_result"]["search_notes"]:
            rows.setdefault(n, []).append(f"{r['model']} on {r['features']}")
    return [f"{method if len(names) == len(table) else ', '.join(names)}: {n}" for n, names in rows.items()]


def run_eval(train_dir: Path, method: str, test_dir: Path | None = None, folds: int | None = None,
             cfg: EvalCfg = EvalCfg(), progress: bool = True, bank: FeatureBank | None = None) -> dict:
    classical = method.startswith("classical:") and method.split(":", 1)[1] in (*CLASSICAL_MODELS, "all")
    if not (method in ROW_METHODS or method in FINETUNE_METHODS or classical):
        raise AnimeidError(f"unknown method {method!r}; choose {METHODS}")  # before minutes of embedding
    timer = Timer()
    with timer.stage("load"):
        data = load_eval_data(train_dir, test_dir, folds, cfg.seed)
    for w in data.warnings:
        print(f"animeid: warning: {w}", file=sys.stderr)
    bank = bank or FeatureBank(data.paths, timer, progress)
    bank.timer = timer
    baseline = evaluate_rows("baseline", bank.rows(BASELINE_RECIPE), data.labels, data.splits, cfg, timer, "baseline")
    result = {"method": method, "data": data.description, "n_images": len(data.paths),
              "classes": sorted(set(data.labels)), "baseline": _public(baseline),
              "baseline_description": "frozen efficientnet-lite0 (one view) + logistic regression (C=1)"}
    notes: list[str] = []  # the baseline searches nothing, so has nothing to note
    if method.startswith("classical:"):
        model = method.split(":", 1)[1]
        models = list(CLASSICAL_MODELS) if model == "all" else [model]
        table = classical_table(bank, data, models, cfg, timer)
        notes += _row_notes(method, table)
        best = headline_row(table)
        main = best["_result"]
        for r in table:
            del r["_result"]
        result["table"] = table
        result["method_detail"] = (f"row with the best inner-fold accuracy: {best['model']} on {best['features']}"
                                   if best["inner_cv_accuracy"] is not None else
                                   f"no inner folds possible; S2's pairing: {best['model']} on {best['features']}")
        # the features the reported row was fitted on, standardised as its pipeline does
        from sklearn.preprocessing import StandardScaler

        x_best = bank.hand() if best["features"] == HAND else bank.rows(BASELINE_RECIPE)
        x_plot = StandardScaler().fit_transform(x_best)
        result["tsne_features"] = f"{best['features']} features of the reported {best['model']} row, standardised"
    elif method in FINETUNE_METHODS:
        from animeid.recognize.finetune_ensemble import evaluate_finetune

        main, x_plot, result["method_detail"] = evaluate_finetune(data.paths, data.labels, data.splits, cfg,
                                                                  timer, progress,
                                                                  classifier=FINETUNE_METHODS[method])
        result["tsne_features"] = "fine-tuned ensemble embedding under the last split's model"
        notes += [f"{method}: {n}" for n in main["search_notes"]]
    else:
        estimator, recipe = ROW_METHODS[method]
        x_plot = bank.rows(recipe)
        main = evaluate_rows(estimator, x_plot, data.labels, data.splits, cfg, timer, method)
        notes += [f"{method}: {n}" for n in main["search_notes"]]
        result["method_detail"] = f"features {recipe.key}"
        result["tsne_features"] = f"frozen features {recipe.key}"
    for n in notes:
        print(f"animeid: note: {n}", file=sys.stderr)
    result["search_notes"] = notes
    result["metrics"] = _public(main)
    result["n_trained_classes"] = _annotate(data, cfg.top_k, (result["metrics"], main), (result["baseline"], baseline))
    result["per_class"] = metrics.per_class_prf(main["truth"], main["pred"], result["classes"])
    averaged = set(main["truth"]) | set(main["pred"])
    for row in result["per_class"]:
        row["in_macro_f1"] = row["label"] in averaged
    cm, labs = metrics.confusion_matrix(main["truth"], main["pred"], result["classes"])
    result["confusion"] = {"labels": labs, "rows_predicted_cols_true": cm.tolist()}
    result["beats_baseline"] = main["accuracy"] > baseline["accuracy"]
    result["folds"] = len(data.splits) if len(data.splits) > 1 else None
    result["warnings"] = list(data.warnings)
    result["leakage"] = {"test_images_identical_to_training": data.leaks["count"], "examples": data.leaks["examples"]}
    result["timings_seconds"] = timer.stages
    result["predictions"] = predictions(data, main, baseline, cfg.top_k)
    result["_plot"] = {"x": x_plot, "labels": data.labels}
    return result


def _test_rows(data: EvalData) -> tuple[list[int], list[int]]:
    """(image index, 1-based fold) of every test row, in the order the results pool them."""
    rows = [(int(i), k + 1) for k, sp in enumerate(data.splits) for i in sp.test]
    return [r for r, _ in rows], [f for _, f in rows]


def _annotate(data: EvalData, k: int, *pairs: tuple[dict, dict]) -> int:
    """Add to each public metrics dict what a reader needs to weigh the figures: whether top-k is
    trivial (k or fewer trained classes put every class in the top k), and with folds, that the
    figures are pooled and how they spread over the folds. Returns the number of trained classes
    (the most any split trained)."""
    trained = max(len(set(data.labels[int(i)] for i in sp.train)) for sp in data.splits)
    _, fold_of = _test_rows(data)
    for public, raw in pairs:
        if f"top{k}_accuracy" in public:
            public[f"top{k}_trivial"] = trained <= k
        if len(data.splits) > 1:
            public["pooled_over_folds"] = len(data.splits)
            public["per_fold"] = metrics.per_fold(raw["truth"], raw["pred"], fold_of)
    return trained


def predictions(data: EvalData, main: dict, baseline: dict, k: int) -> list[dict]:
    """One entry per test image, so a reader can recompute every figure of the report: its path,
    true label, the method's answer and top-k ranking (null when the method keeps none), the
    baseline's answer and, with folds, the fold that tested it."""
    rows, fold_of = _test_rows(data)
    ranked = main.get("ranked")
    out = []
    for j, i in enumerate(rows):
        item = {"path": data.shown(i), "truth": main["truth"][j], "pred": main["pred"][j],
                f"top{k}": list(ranked[j][:k]) if ranked is not None else None,
                "baseline_pred": baseline["pred"][j]}
        if len(data.splits) > 1:
            item["fold"] = fold_of[j]
        out.append(item)
    return out


def _public(r: dict) -> dict:
    return {k: v for k, v in r.items() if k not in ("truth", "pred", "ranked", "search_notes")}

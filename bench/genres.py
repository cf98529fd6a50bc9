"""Genres from posters: every model variant and both baselines on the same iterative-stratified folds.

    python bench/genres.py                       # the shared posters, 5 folds
    python bench/genres.py --scale 250           # + wall time of train+eval on 250 generated posters

Prints pooled out-of-fold figures per variant. Variants: the default model (lite0+lite2, 5 views,
logistic head + k-NN blend, per-genre thresholds, at most the training posters' mean genre count
rounded up), ablations (among them the same model without that cap), the MLP head with BCE and
with focal loss, the "plain frozen LR" reference (lite0, one view, C=1, one global threshold), semi-supervised
pseudo-labelling simulated by hiding half of each training fold's labels, S4's small CNN from scratch,
and an Optuna search nested in each training fold."""
from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POSTERS = ROOT.parent / "shared" / "data" / "posters" / "posters.csv"


def half_labels_fit(x, cfg, with_pseudo: bool):
    """Train on half of the training fold's labels; optionally pseudo-label the other half."""
    from animeid.genres.pseudo_labels import fit_with_pseudo_labels
    from animeid.genres.split import stratified_holdout
    from animeid.genres.training import fit_genres

    def fit(rows, y):
        lab, unl = stratified_holdout(y, 0.5, cfg.seed)
        if with_pseudo:
            fitted, n = fit_with_pseudo_labels(x[rows[lab]], y[lab], x[rows[unl]], cfg)
            fit.adopted.append(n)
        else:
            fitted = fit_genres(x[rows[lab]], y[lab], cfg)
        return (lambda te: fitted.predictor.scores(x[te])), fitted.decision

    fit.adopted = []
    return fit


def searched_fit(blocks, cfg, trials):
    from animeid.genres.search import search_cfg, stack_blocks
    from animeid.genres.training import fit_genres

    def fit(rows, y):
        best, value, _ = search_cfg({k: v[rows] for k, v in blocks.items()}, y, cfg, trials)
        fit.chosen.append((best.embedders, best.head, best.loss, round(best.C, 4), round(best.knn_weight, 2),
                           round(value, 3)))
        xb = stack_blocks(blocks, best.embedders)
        fitted = fit_genres(xb[rows], y, best)
        return (lambda te: fitted.predictor.scores(xb[te])), fitted.decision

    fit.chosen = []
    return fit


def variants(args):
    from animeid.genres.cnn_baseline import poster_pixels, small_cnn_fit
    from animeid.genres.config import GenreCfg, SmallCnnCfg
    from animeid.genres.crossval import cross_validate, default_fit
    from animeid.genres.embeddings import embed_files
    from animeid.genres.pipeline import prepare
    from animeid.genres.report import summary_lines
    from animeid.genres.search import stack_blocks

    cfg = GenreCfg(seed=args.seed)
    t0 = time.perf_counter()
    prep = prepare(args.posters, cfg, progress=lambda m: print(f"  {m}", file=sys.stderr))
    x = stack_blocks(prep.blocks, cfg.embedders)
    x_plain = embed_files(prep.posters.paths, ["efficientnet-lite0"], ("full",))
    print(f"embedding (cached after the first run): {time.perf_counter() - t0:.1f} s")
    plain = cfg.replace(embedders=("efficientnet-lite0",), views=("full",), C=1.0, knn_weight=0.0, max_predicted=0,
                        threshold_shrinkage=1.0)
    models = {
        "model": default_fit(x, cfg),
        "model, no genre cap": default_fit(x, cfg.replace(max_predicted=0)),
        "model, no k-NN": default_fit(x, cfg.replace(knn_weight=0.0)),
        "model, global thr": default_fit(x, cfg.replace(threshold_shrinkage=1.0)),
        "model, lite0 only": default_fit(prep.blocks["efficientnet-lite0"], cfg),
        "mlp head, BCE": default_fit(x, cfg.replace(head="mlp", loss="bce", epochs=150, weight_decay=0.1)),
        "mlp head, focal": default_fit(x, cfg.replace(head="mlp", loss="focal", epochs=150, weight_decay=0.1)),
        "plain frozen LR": default_fit(x_plain, plain),
        "half labels": half_labels_fit(x, cfg, False),
        "half labels+pseudo": half_labels_fit(x, cfg, True),
    }
    if not args.no_cnn:
        ccfg = SmallCnnCfg(seed=args.seed)
        models["small CNN (S4)"] = small_cnn_fit(poster_pixels(prep.posters.paths, ccfg.input_size), ccfg)
    if args.search_trials:
        models["optuna search"] = searched_fit(prep.blocks, cfg, args.search_trials)
    t0 = time.perf_counter()
    report = cross_validate(prep.y, prep.vocabulary.genres, models, cfg, args.folds,
                            progress=lambda m: print(f"  {m[:140]}", file=sys.stderr))
    print("\n".join(summary_lines(report)[:len(report["results"]) + 2]))
    print("micro-F1 per fold std: " + ", ".join(f"{k} {v['micro_f1_fold_std']:.3f}" for k, v in report["results"].items()))
    print("seconds per variant (all folds): " + ", ".join(f"{k} {v['seconds']:.1f}" for k, v in report["results"].items()
                                                         if "seconds" in v))
    print(f"pseudo-labelled posters adopted per fold: {models['half labels+pseudo'].adopted}")
    if args.search_trials:
        print(f"optuna choices per fold: {models['optuna search'].chosen}")
    print(f"cross-validation wall time: {time.perf_counter() - t0:.1f} s")


def scale(args):
    """Time train + 5-fold eval on N distinct generated posters (perturbed copies: new file hashes, so
    the embedding cache is cold). Accuracy here is meaningless (copies leak across folds)."""
    from PIL import Image

    from animeid.genres.config import GenreCfg
    from animeid.genres.pipeline import evaluate, prepare, train_model
    from animeid.genres.poster_set import load_poster_set
    from animeid.media.images import load_image

    src = load_poster_set(args.posters)
    # Fresh entropy on every run (not the --seed): the same seed would regenerate byte-identical
    # files whose embeddings a previous run already cached, and the timing would not be cold.
    rng = np.random.default_rng()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "img").mkdir()
        rows = []
        for i in range(args.scale):
            k = i % len(src)
            img = load_image(src.paths[k])
            h, w = img.shape[:2]
            f = rng.uniform(0.85, 1.0)
            y0, x0 = rng.integers(0, h - int(h * f) + 1), rng.integers(0, w - int(w * f) + 1)
            crop = img[y0:y0 + int(h * f), x0:x0 + int(w * f)] * rng.uniform(0.9, 1.1)
            Image.fromarray(np.clip(crop, 0, 255).astype(np.uint8)).save(tmp / "img" / f"{i}.jpg", quality=90)
            rows.append({"image": f"img/{i}.jpg", "genres": "|".join(src.genres[k])})
        with (tmp / "posters.csv").open("w", newline="") as f:
            wr = csv.DictWriter(f, ["image", "genres"])
            wr.writeheader()
            wr.writerows(rows)
        cfg = GenreCfg(seed=args.seed)
        t0 = time.perf_counter()
        prep = prepare(tmp / "posters.csv", cfg)
        t1 = time.perf_counter()
        train_model(prep, cfg).save(tmp / "model")
        t2 = time.perf_counter()
        evaluate(prep, cfg, 5)
        t3 = time.perf_counter()
    print(f"{args.scale} posters: embedding {t1 - t0:.1f} s (cold cache), train {t2 - t1:.1f} s, "
          f"5-fold eval {t3 - t2:.1f} s, total {t3 - t0:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posters", type=Path, default=DEFAULT_POSTERS)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--search-trials", type=int, default=8)
    ap.add_argument("--no-cnn", action="store_true")
    ap.add_argument("--scale", type=int, default=0, help="also time N generated posters end to end")
    ap.add_argument("--only-scale", action="store_true")
    args = ap.parse_args()
    if not args.only_scale:
        variants(args)
    if args.scale:
        scale(args)


if __name__ == "__main__":
    main()

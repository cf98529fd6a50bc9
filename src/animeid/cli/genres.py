"""`animeid genres train|predict|eval`: genres from posters (multi-label)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _cfg_from_args(args):
    from animeid.genres.config import GenreCfg

    cfg = GenreCfg()
    changes = {}
    if getattr(args, "embedder", None):
        changes["embedders"] = tuple(args.embedder)
    renamed = {"confidence": "pseudo_confidence", "objective": "threshold_objective", "max_genres": "max_predicted"}
    for name in ("top_k", "min_count", "head", "loss", "C", "confidence", "knn_weight", "seed", "objective",
                 "max_genres"):
        v = getattr(args, name, None)
        if v is not None:
            changes[renamed.get(name, name)] = v
    return cfg.replace(**changes) if changes else cfg


def _progress(args):
    if getattr(args, "quiet", False):
        return lambda _m: None
    return lambda m: print(f"[genres] {m}", file=sys.stderr, flush=True)


def _add_training_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("posters", type=Path, help="CSV or JSON: image path + genres ('|' or ',' separated, or a JSON list)")
    p.add_argument("--embedder", action="append", metavar="NAME",
                   help="frozen embedder(s) to concatenate (repeatable; default: efficientnet-lite0 and -lite2)")
    p.add_argument("--top-k", type=int, help="keep only the K most frequent genres (K >= 2; default 0 = all)")
    p.add_argument("--min-count", type=int, help="keep genres with at least N examples (default 2; 0 or 1 keep all)")
    p.add_argument("--head", choices=["logreg", "mlp"], help="head on the embeddings (default logreg)")
    p.add_argument("--loss", choices=["bce", "focal"], help="loss of the mlp head")
    p.add_argument("--C", type=float, help="inverse L2 strength of the logreg head (> 0; default 0.05)")
    p.add_argument("--knn-weight", type=float, help="weight of k-NN label transfer in the blend (0..1)")
    p.add_argument("--objective", choices=["micro_f1", "hamming"],
                   help="what the thresholds optimise (default micro_f1; hamming predicts fewer, surer genres)")
    p.add_argument("--max-genres", type=int, metavar="N",
                   help="predict at most N genres per poster (default -1: the training posters' mean genre "
                        "count rounded up; 0: no cap)")
    p.add_argument("--unlabelled", type=Path, metavar="DIR", help="folder of unlabelled posters to pseudo-label")
    p.add_argument("--confidence", type=float, help="pseudo-label confidence, 0..1 (default 0.7)")
    p.add_argument("--search", type=int, default=0, metavar="TRIALS", help="Optuna trials over the head (0 = off)")
    p.add_argument("--seed", type=int)
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")


def configure_genres(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="genres_command", metavar="ACTION")
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])

    p = sub.add_parser("train", help="train a genre model on a poster list", description="train a genre model")
    _add_training_options(p)
    p.add_argument("--model", type=Path, required=True, metavar="DIR", help="folder to write the model to")
    p.set_defaults(func=run_train)

    p = sub.add_parser("predict", help="predict the genres of posters", description="predict genres")
    # kept as typed (not Path): `./-` is then a file named `-`, and errors name it as given
    p.add_argument("images", nargs="+", metavar="IMAGE",
                   help="posters; - reads one from standard input (./- is a file named -)")
    p.add_argument("--model", type=Path, required=True, metavar="DIR")
    p.add_argument("--embedder", help="refuse the model unless it was trained with this embedder")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_predict)

    p = sub.add_parser("eval", help="cross-validate against baselines", description="k-fold evaluation")
    _add_training_options(p)
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds (>= 2; lowered, with a note, "
                   "when there are fewer posters)")
    p.add_argument("--report", type=Path, metavar="OUT", help="folder for report.json, report.md and PNG charts")
    p.add_argument("--cnn", action="store_true", help="also train S4's small CNN from scratch as a baseline")
    p.set_defaults(func=run_eval)


def run_train(args) -> int:
    from animeid.genres.model_folder import check_model_target
    from animeid.genres.pipeline import check_search, embed_unlabelled, list_unlabelled, prepare, train_model

    # Every check that needs no embedding comes first: a bad option or output folder should cost a
    # second, not the minutes of embedding before it.
    cfg = _cfg_from_args(args)
    check_search(args.search)
    target = check_model_target(args.model)
    unl_notes: list[str] = []
    unl_paths = list_unlabelled(args.unlabelled, unl_notes) if args.unlabelled else None
    progress = _progress(args)
    prep = prepare(args.posters, cfg, progress=progress)
    prep.notes.extend(unl_notes)
    for note in prep.notes:
        progress(f"note: {note}")
    unl = embed_unlabelled(unl_paths, cfg, progress) if unl_paths else None
    model = train_model(prep, cfg, unl, args.search, progress)
    model.save(target)
    out = {"model": str(args.model), "posters": len(prep.y), "genres": model.genres,
           "thresholds": [round(float(t), 3) for t in model.thresholds],
           "embedders": list(model.cfg.embedders), "head": model.cfg.head, "notes": prep.notes}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"trained on {out['posters']} posters, {len(model.genres)} genres -> {args.model}")
    return 0


def run_predict(args) -> int:
    from animeid.cli.stdin_input import check_stdin_once
    from animeid.cli.error_line import print_error
    from animeid.file_names import one_line
    from animeid.genres.genre_model import GenreModel

    check_stdin_once(args.images)
    model = GenreModel.load(args.model, embedder=args.embedder)
    results = [_printable(r) for r in _predict_inputs(model, args.images)]
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
    else:  # as `search`: answers on stdout, one `animeid: error:` line per bad input on stderr
        for r in results:
            if r["error"]:
                print_error(r["error"])
            else:
                top = ", ".join(f"{g['genre']} {g['score']:.2f}" for g in r["genres"][:5])
                print(one_line(f"{r['image']}: {', '.join(r['predicted'])}   (top: {top})"))
    return 1 if any(r["error"] for r in results) else 0


def _predict_inputs(model, images: list[str]) -> list[dict]:
    """Results in the order given. Standard input, or a pipe named like a file (`<(curl -s URL)`,
    whose size reads as 0), is read whole first, as `search` and `identify` read them; one that
    cannot be read is that input's error, not the whole run's, as an unreadable file is."""
    from animeid.cli.stdin_input import STDIN, is_stdin, is_stream, read_stdin, read_stream
    from animeid.errors import BadImage

    sources, failed = [], {}
    for k, item in enumerate(images):
        try:
            sources.append((k, read_stdin() if is_stdin(item) else read_stream(item) if is_stream(item) else item))
        except BadImage as exc:
            failed[k] = {"image": STDIN if is_stdin(item) else item, "genres": [], "predicted": [], "error": str(exc)}
    predicted = iter(model.predict_many([s for _, s in sources], names=[images[k] for k, _ in sources]))
    return [failed[k] if k in failed else next(predicted) for k in range(len(images))]


def _printable(result: dict) -> dict:
    """File names need not be UTF-8: shown with \\xNN escapes, so neither a strict terminal nor a
    JSON reader meets a lone surrogate."""
    from animeid.file_names import shown

    return {**result, "image": shown(result["image"]), "error": result["error"] and shown(result["error"])}


def run_eval(args) -> int:
    from animeid.genres.pipeline import check_folds, check_search, embed_unlabelled, evaluate, list_unlabelled, prepare
    from animeid.genres.report import summary_lines, write_report
    from animeid.output_folders import check_output_folder

    cfg = _cfg_from_args(args)
    check_folds(args.folds)
    check_search(args.search)
    report_dir = check_output_folder(args.report, "--report") if args.report else None
    unl_notes: list[str] = []
    unl_paths = list_unlabelled(args.unlabelled, unl_notes) if args.unlabelled else None
    progress = _progress(args)
    prep = prepare(args.posters, cfg, progress=progress)
    prep.notes.extend(unl_notes)
    unl = embed_unlabelled(unl_paths, cfg, progress) if unl_paths else None
    report = evaluate(prep, cfg, args.folds, unl, args.cnn, args.search, progress)
    # The figures go out first: minutes of cross-validation must not be lost to a report folder
    # that became unwritable meanwhile.
    if args.json:
        print(json.dumps(report, indent=2), flush=True)
    else:
        print("\n".join(summary_lines(report)), flush=True)
    if report_dir is not None:
        write_report(report, report_dir)
        progress(f"report written to {report_dir}")
    return 0

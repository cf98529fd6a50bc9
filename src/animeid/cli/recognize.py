"""`animeid enroll`, `animeid identify` and `animeid eval`: thin argument handling around
`animeid.recognize`. Nothing heavy is imported until a command runs."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def configure_enroll(p: argparse.ArgumentParser) -> None:
    p.add_argument("gallery", nargs="?", type=Path, help="folder of <label>/<images> to enrol")
    p.add_argument("--db", type=Path, required=True, help="gallery folder (created if missing)")
    p.add_argument("--kind", choices=("title", "character"), default=None,
                   help="what the labels name (default: the gallery's kind, or character for a new one)")
    p.add_argument("--faces", action="store_true", help="enrol the most likely anime face of each image")
    p.add_argument("--remove", metavar="LABEL", action="append", default=[], help="remove a label (repeatable)")
    p.add_argument("--embedder", default=None,
                   help="embedder of a new gallery (default efficientnet-lite0; any registered or exported name); "
                        "an existing gallery keeps its own and refuses another")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run_enroll)


def run_enroll(args) -> int:
    from animeid.errors import AnimeidError
    from animeid.recognize.datasets import labelled_folder
    from animeid.recognize.recognizer import Recognizer, check_enrollable

    if args.gallery is None and not args.remove:
        raise AnimeidError("give a GALLERY folder to enrol, or --remove LABEL")
    # single-image labels are warned about by Recognizer.enroll, with what that means
    data = labelled_folder(args.gallery, warn_single=False) if args.gallery is not None else None
    if data is not None:  # refuse bad label names before anything is stored
        for label in dict.fromkeys(data.labels):
            check_enrollable(label)
    is_new = not (args.db / "gallery.sqlite").exists()
    if data is None:  # removing only: never create a gallery for it
        rec = Recognizer.load(args.db, write=True)
    else:  # both hold the gallery's write lock until closed
        rec = Recognizer.open_or_create(args.db, args.kind, args.faces, _gallery_cfg(args.embedder))
    _check_embedder(rec, args.embedder, args.db)
    try:
        labels, pending = rec.labels(), rec.removed_uncalibrated()
        # a removal killed before its refit: its re-run finds those labels gone, and finishes it
        gone = [label for label in args.remove if label not in labels and label in pending]
        missing = [label for label in args.remove if label not in labels and label not in gone]
        if missing:  # all or none: a typo must not leave half of the removals done
            raise AnimeidError(f"no label {', '.join(map(repr, missing))} in {args.db}; nothing removed "
                               f"(labels: {', '.join(map(repr, labels)) or 'none'})")
        for label in dict.fromkeys(gone):
            print(f"{label!r} was already removed (by an interrupted run)")
        if present := [label for label in args.remove if label in labels]:
            # together: an interrupted removal leaves all of them, and its re-run finishes
            for label, n in rec.remove_labels(present).items():
                print(f"removed {label!r} ({n} images)")
        elif gone and data is None and rec.calibration_stale():
            _finish_calibration(rec)
        if data is None:   # remove_labels (or the line above) refitted the calibration
            rec.close()
            return 0
        stored, unreadable = _enroll_labels(rec, data, args.quiet)
    except BaseException:
        rec.close()
        raise
    code = _finish_enroll(rec, args.db, stored, is_new)
    return 1 if unreadable and not stored else code  # nothing new, and some images could not be read


def _enroll_labels(rec, data, quiet: bool) -> tuple[int, int]:
    """Enrol every label: (images stored, images unreadable). Calibration is refitted once at the
    end, also when a later label fails (an interrupted enrol keeps what it stored, calibrated)."""
    from tqdm import tqdm

    for w in data.warnings:
        print(f"animeid: warning: {w}", file=sys.stderr)
    by_label: dict[str, list[Path]] = {}
    for path, label in zip(data.paths, data.labels):
        by_label.setdefault(label, []).append(path)
    warn = lambda msg: tqdm.write(f"animeid: warning: {msg}", file=sys.stderr)  # noqa: E731
    stored = unreadable = 0
    try:
        with tqdm(total=len(data.paths), unit="img", desc="enrol", disable=quiet, file=sys.stderr) as bar:
            for label, paths in by_label.items():
                stored += rec.enroll(label, paths, warn=warn, progress=bar.update, refit=False)
                unreadable += rec.unreadable
    except BaseException:
        if stored:
            rec.refit()
        raise
    return stored, unreadable


def _finish_enroll(rec, db: Path, stored: int, is_new: bool) -> int:
    from animeid.errors import AnimeidError

    try:
        if stored == 0 and is_new:
            rec.close()
            _remove_new_gallery(db)
            raise AnimeidError("no image could be enrolled; no gallery was created")
        stale = not stored and rec.calibration_stale()
        cal = rec.refit() if stored else _finish_calibration(rec) if stale else rec.calibration
        counts = rec.labels()
        print(f"enrolled {stored} images; gallery {db} now holds {sum(counts.values())} images "
              f"of {len(counts)} {rec.kind} labels")
        if cal is not None and (stored or stale):
            _print_calibration(cal)
        return 0
    finally:
        rec.close()


def _finish_calibration(rec):
    """Refit what an interrupted run stored but did not calibrate (it was killed before its last step)."""
    print("animeid: note: the gallery changed after its last calibration (an interrupted enrol or "
          "removal); calibrating it now", file=sys.stderr)
    return rec.refit()


def _print_calibration(cal) -> None:
    if not cal.fallback:
        print(f"calibration on held-out gallery folds: top-1 {cal.heldout_accuracy:.3f} over "
              f"{cal.known_queries} queries; unknown threshold {cal.threshold:.3f} rejects "
              f"{cal.unknown_rejected:.3f} of {cal.unknown_queries} simulated never-enrolled queries")
    else:
        print("calibration: the gallery's held-out folds show no right answer or no never-enrolled "
              "query (single-image labels, every held-out answer wrong, or a single label); scores use "
              "a fixed similarity mapping")
    if cal.known_queries < 20:
        print("animeid: warning: too little held-out evidence to calibrate well (enrol several "
              "images or clips per label); read scores and 'unknown' with care", file=sys.stderr)


def _remove_new_gallery(db: Path) -> None:
    """Undo the files a first enrol created when it stored nothing (the folder held nothing else)."""
    import shutil

    from animeid.recognize.gallery import DB_FILE, LOCK_FILE, VECTORS_DIR

    for name in (DB_FILE, DB_FILE + "-wal", DB_FILE + "-shm", LOCK_FILE):
        (db / name).unlink(missing_ok=True)
    shutil.rmtree(db / VECTORS_DIR, ignore_errors=True)
    try:
        db.rmdir()
    except OSError:
        pass


def _gallery_cfg(embedder: str | None):
    from dataclasses import replace

    from animeid.features.registry import get_embedder_cfg
    from animeid.recognize.config import GALLERY_RECIPE, GalleryCfg

    if embedder is None:
        return GalleryCfg()
    get_embedder_cfg(embedder)  # unknown names fail here, with the list of known ones
    return GalleryCfg(recipe=replace(GALLERY_RECIPE, embedders=(embedder,)))


def _check_embedder(rec, embedder: str | None, db: Path) -> None:
    from animeid.errors import IncompatibleIndex

    used = tuple(rec.cfg.recipe.embedders)
    if embedder is not None and used != (embedder,):
        rec.close()
        raise IncompatibleIndex(f"{db}: gallery was built with embedder {'+'.join(used)!r}, not {embedder!r}; "
                                "use another --db or the same --embedder")


def configure_identify(p: argparse.ArgumentParser) -> None:
    # kept as typed: a Path would shorten `./-` (a file named -) to `-` in the answer
    p.add_argument("images", nargs="+", metavar="IMAGE",
                   help="pictures; - reads one from standard input (./- is a file named -)")
    p.add_argument("--db", type=Path, required=True, help="gallery folder made by `animeid enroll`")
    p.add_argument("--k", type=int, default=5, help="answers per image, 'unknown' included (default 5)")
    p.add_argument("--faces", action="store_true",
                   help="detect anime faces and identify each one (without it, a gallery enrolled with "
                        "--faces compares each image's most likely face)")
    p.add_argument("--embedder", default=None, help="check the gallery was built with this embedder")
    p.add_argument("--json", action="store_true", help="print one JSON list, one object per input")
    p.set_defaults(func=run_identify)


def run_identify(args) -> int:
    from animeid.cli.stdin_input import check_stdin_once, query_source
    from animeid.errors import AnimeidError, BadImage
    from animeid.recognize.recognizer import Recognizer

    if args.k < 1:
        raise AnimeidError("--k must be at least 1")
    check_stdin_once(args.images)
    rec = Recognizer.load(args.db)
    _check_embedder(rec, args.embedder, args.db)
    if rec.calibration_stale():
        from animeid.store.write_lock import being_written

        if being_written(args.db):
            print(f"animeid: note: an `animeid enroll` is changing {args.db} now; its scores are calibrated "
                  "again when it ends", file=sys.stderr)
        else:
            print(f"animeid: warning: {args.db} changed after its scores were calibrated (an interrupted enrol "
                  f"or removal); re-run that `animeid enroll --db {args.db}` command to finish it", file=sys.stderr)
    if args.faces and not rec.faces:
        print(f"animeid: note: {args.db} holds whole images (enrolled without --faces); each face crop "
              "is compared with whole images", file=sys.stderr)
    out, failures = [], 0
    try:
        for image in args.images:
            item: dict = {"image": str(image)}
            try:
                with query_source(image, clips=False) as (source, _):
                    if args.faces:
                        faces, fell_back = rec.identify_faces(source, args.k)
                        item["faces"] = faces
                        if fell_back:  # stderr, so the JSON keeps exactly the documented keys
                            print(f"animeid: note: {image}: no face found; identified the whole image",
                                  file=sys.stderr)
                    else:
                        item["results"] = rec.identify(source, args.k)
                item["error"] = None
            except BadImage as exc:   # this input; a damaged embedder or gallery stops the command (exit 2)
                failures += 1
                item.setdefault("faces" if args.faces else "results", [])
                item["error"] = str(exc)
            out.append(item)
    finally:
        rec.close()
    if args.json:
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        for item in out:
            _print_human(item)
    return 1 if failures else 0


def _print_human(item: dict) -> None:
    """Answers on stdout, errors on stderr as `animeid search` prints them, so a pipeline reading
    the answers never takes an error line for one."""
    from animeid.cli.error_line import print_error
    from animeid.file_names import one_line

    if item["error"]:
        message = item["error"].removeprefix(f"{item['image']}: ")  # errors about a file name it
        print_error(f"{item['image']}: {message}")
        return
    groups = item.get("faces") or [{"box": None, "results": item.get("results", [])}]
    for g in groups:
        where = f" face {g['box']}" if g.get("box") else ""
        answers = ", ".join(f"{r['label']} ({r['score']:.2f})" for r in g["results"])
        print(one_line(f"{item['image']}{where}: {answers}"))   # one line per answer, whatever a name holds


def configure_eval(p: argparse.ArgumentParser) -> None:
    p.add_argument("--train", type=Path, required=True, help="<label>/<images> folder (or with manifest.csv)")
    p.add_argument("--test", type=Path, help="held-out <label>/<images> folder")
    p.add_argument("--folds", type=int, help="k-fold cross-validation on --train instead of --test")
    p.add_argument("--method", default="best",
                   help="best | knn | linear | svm | classical:<lr|lda|knn|cart|rf|nb|svm|all> (default best)")
    p.add_argument("--report", type=Path, metavar="OUT", help="write report.json, report.md and PNGs into OUT")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run_eval)


def run_eval(args) -> int:
    from animeid.errors import AnimeidError
    from animeid.recognize.evaluation import run_eval as evaluate

    if args.folds is not None and args.folds < 2:
        raise AnimeidError("--folds must be at least 2")
    if args.report:  # before minutes of evaluation, not after
        from animeid.output_folders import check_output_folder

        check_output_folder(args.report, "--report")
    result = evaluate(args.train, args.method, args.test, args.folds, progress=not args.quiet)
    # per-image predictions go to report.json only: one entry per test image would bury the figures
    public = {k: v for k, v in result.items() if not k.startswith("_") and k != "predictions"}
    if args.json:  # the figures first: a report that fails to write must not lose them
        from animeid.evaluate.report import strict_json

        print(strict_json(public), flush=True)
    else:
        _print_eval(args, result)
    if args.report:
        from animeid.evaluate.report import write_report

        try:
            written = write_report(result, args.report)
        except OSError as exc:
            raise AnimeidError(f"--report {args.report}: cannot write the report ({exc.strerror or exc})") from None
        if not args.json:
            print(f"report: {written['markdown']} and {written['json']}")
    return 0


def _print_eval(args, result: dict) -> None:
    from animeid.evaluate.report import number

    m, b = result["metrics"], result["baseline"]
    print(f"data: {result['data']}")
    if "table" in result:
        print(f"{'model':6} {'features':24} {'train acc':>9} {'inner cv':>9} {'test acc':>9} {'fit s':>8}")
        for r in result["table"]:
            print(f"{r['model']:6} {r['features']:24} {r['train_accuracy']:9.3f} "
                  f"{number(r['inner_cv_accuracy'], 3):>9} {r['test_accuracy']:9.3f} {r['fit_seconds']:8.2f}")
    trivial = " (trivial: 5 or fewer classes)" if m.get("top5_trivial") else ""
    print(f"{args.method}: accuracy {m['accuracy']:.4f}  top-5 {number(m.get('top5_accuracy'), 4)}{trivial}  "
          f"macro-F1 {m['macro_f1']:.4f}  ({result.get('method_detail', '')})")
    print(f"baseline: accuracy {b['accuracy']:.4f}  top-5 {number(b.get('top5_accuracy'), 4)}{trivial}  "
          f"macro-F1 {b['macro_f1']:.4f}  ({result['baseline_description']})")
    if m.get("per_fold"):
        f = m["per_fold"]
        print(f"pooled over {m['pooled_over_folds']} folds; per fold: accuracy {f['accuracy_mean']:.4f} ± "
              f"{f['accuracy_std']:.4f}, macro-F1 {f['macro_f1_mean']:.4f} ± {f['macro_f1_std']:.4f}")
    print(f"beats baseline: {'yes' if result['beats_baseline'] else 'NO'}", flush=True)

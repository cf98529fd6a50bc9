"""`animeid index`, `search`, `info`, `embedders`."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from animeid.cli.error_line import print_error
from animeid.file_names import one_line


def configure_index(p: argparse.ArgumentParser) -> None:
    from animeid.config import IndexCfg

    d = IndexCfg()
    p.add_argument("library", type=Path, help="folder of <Title>/<video files>")
    p.add_argument("--db", type=Path, required=True, help="index folder (created if missing)")
    p.add_argument("--fps", type=float, default=None,
                   help=f"frames sampled per second (default: the index's own; {d.fps} for a new index)")
    p.add_argument("--embedder", default=None,
                   help=f"embedder name (default: the index's own; {d.embedder} for a new index)")
    p.add_argument("--factory", default=None,
                   help="FAISS index-factory string (default: the index's own; Flat for a new index)")
    p.add_argument("--shards", type=int, default=None, metavar="N",
                   help="split the library into N shards by a hash of each file's path (DB/shard-000 ...)")
    p.add_argument("--workers", type=int, default=1, help="with --shards: build this many shards at once")
    p.add_argument("--shard", default=None, metavar="I/N",
                   help="build only shard I of N (one machine's part; others run the other I's)")
    p.add_argument("--replace-library", action="store_true",
                   help="the index was built from another folder: drop its files that LIBRARY lacks")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run_index)


def run_index(args) -> int:
    from animeid.config import IndexCfg
    from animeid.distribute.shard_plan import is_sharded, read_plan
    from animeid.errors import AnimeidError
    from animeid.scenes.indexer import index_library

    if args.fps is not None and not (0 < args.fps <= 60):  # also refuses nan
        raise AnimeidError(f"--fps must be in (0, 60], got {args.fps}")
    stored = _stored_settings(args.db)
    cfg = replace(IndexCfg(), fps=args.fps or stored.get("fps") or IndexCfg().fps,
                  embedder=args.embedder or stored.get("embedder") or IndexCfg().embedder, factory=args.factory,
                  replace_library=args.replace_library)
    if args.shards is None and args.shard is None and is_sharded(args.db):
        args.shards = read_plan(args.db)["shards"]   # a re-run need not repeat --shards
    if args.shards is not None or args.shard is not None:
        return _run_sharded_index(args, cfg)
    report = index_library(args.library, args.db, cfg, progress=not args.no_progress)
    return _print_index_report(report, args.json)


def _stored_settings(db: Path) -> dict:
    """The embedder and sampling rate an existing index (or shard plan) was built with, so re-runs
    need not repeat them; {} for a new index."""
    from animeid.distribute.shard_plan import is_sharded, read_plan, shard_folder
    from animeid.scenes.index import Index

    if is_sharded(db):
        plan = read_plan(db)
        shards = [shard_folder(db, i) for i in range(plan["shards"])]
        built = next((s for s in shards if Index.is_index(s)), None)
        return {"embedder": plan["embedder"], **(Index.read_sampling(built) if built else {})}
    if Index.is_index(db):
        return {"embedder": Index.read_settings(db)[0].name, **Index.read_sampling(db)}
    return {}


def _run_sharded_index(args, cfg) -> int:
    from animeid.distribute.index_shards import index_shards
    from animeid.distribute.process_pool_strategy import ProcessPoolStrategy
    from animeid.distribute.sequential_strategy import SequentialStrategy
    from animeid.distribute.shard_failure import ShardsFailed
    from animeid.distribute.shard_plan import MAX_SHARDS, parse_shard
    from animeid.errors import AnimeidError

    if args.shard is not None:
        only, shards = parse_shard(args.shard)
        if args.shards is not None and args.shards != shards:
            raise AnimeidError(f"--shard {args.shard} contradicts --shards {args.shards}")
    else:
        only, shards = None, args.shards
    if shards < 1 or args.workers < 1:
        raise AnimeidError("--shards and --workers must be at least 1")
    if shards > MAX_SHARDS:
        raise AnimeidError(f"--shards {shards}: at most {MAX_SHARDS}")
    if args.workers > MAX_SHARDS:  # a worker builds a shard at a time; beyond C's int, the pool crashed
        raise AnimeidError(f"--workers {args.workers}: at most {MAX_SHARDS}")
    if not Path(args.library).is_dir():
        raise AnimeidError(f"{args.library}: library folder not found")
    strategy = (ProcessPoolStrategy(args.workers) if args.workers > 1 and only is None
                else SequentialStrategy(progress=not args.no_progress))
    try:
        reports, failures = index_shards(args.library, args.db, cfg, shards, strategy, only), []
    except ShardsFailed as exc:  # the shards that were built are reported all the same
        reports, failures = exc.reports, exc.failures
    if args.json:
        print(json.dumps([r.to_dict() for r in reports] + [f.to_dict() for f in failures], indent=2))
        for report in reports:
            for warning in report.warnings:
                print(f"animeid: warning: {warning}", file=sys.stderr)
            for err in report.failed.values():
                print_error(err)
        status = 1 if any(r.failed for r in reports) else 0
    else:
        status = max((_print_index_report(r, False) for r in reports), default=0)
    for failure in failures:
        if failure.traceback:  # a bug, not a bad input: shown as main() would show it
            print(failure.traceback, end="", file=sys.stderr)
        print_error(str(failure))
    return 1 if failures else status


def _print_index_report(report, as_json: bool) -> int:
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        speed = report.video_seconds / report.wall_seconds if report.wall_seconds else 0.0
        print(f"indexed {len(report.added)} new, {len(report.resumed)} resumed, {len(report.unchanged)} unchanged, "
              f"{len(report.removed)} removed file(s): {report.frames} frames -> {report.entries} entries, "
              f"{report.video_seconds:.1f} s of video in {report.wall_seconds:.1f} s ({speed:.1f}x real time)")
    for warning in report.warnings:
        print(f"animeid: warning: {warning}", file=sys.stderr)
    for path, err in report.failed.items():
        print_error(err)
    return 1 if report.failed else 0


def configure_search(p: argparse.ArgumentParser) -> None:
    p.add_argument("images", nargs="+",
                   help="screenshots, or clips (a video file, or an animated GIF, WebP or PNG: its frames vote "
                        "on where it starts); - reads one from standard input")
    p.add_argument("--db", type=Path, required=True, help="index folder")
    p.add_argument("--k", type=int, default=5, help="scenes per image")
    p.add_argument("--title", default=None, help="only answer with this title")
    p.add_argument("--no-trim", action="store_true", help="keep black borders")
    p.add_argument("--no-mirror", action="store_true", help="do not also search the mirrored image")
    p.add_argument("--no-frames", action="store_true",
                   help="answer from the index alone: do not decode the best answer's video around it to place "
                        "a screenshot on its exact frame (faster; the second can then be off by one or two)")
    p.add_argument("--json", action="store_true", help="one JSON list, one object per input")
    p.set_defaults(func=run_search)


def run_search(args) -> int:
    from animeid.distribute.sharded_index import ShardedIndex, open_index
    from animeid.cli.stdin_input import check_stdin_once, query_source
    from animeid.errors import AnimeidError
    from animeid.scenes.index_checks import check_title
    from animeid.scenes.indexer import OLD_SECONDS_NOTE, counts_from_first_frames

    if args.k < 1:
        raise AnimeidError("--k must be at least 1")
    check_stdin_once(args.images)
    index = open_index(args.db).with_search(trim_borders=not args.no_trim, query_mirror=not args.no_mirror,
                                            frame_placement=not args.no_frames)
    check_title(args.title, index.shards if isinstance(index, ShardedIndex) else [index])  # a typo: usage error
    index.embedder   # an index whose embedder is gone fails once, not once per image
    if isinstance(index, ShardedIndex) and index.missing:   # one machine of several may not have finished
        print(f"animeid: note: shard(s) {', '.join(map(str, index.missing))} of {index.planned} are not built yet; "
              "their files cannot be found", file=sys.stderr)
    if counts_from_first_frames(index):
        print(f"animeid: note: {args.db} {OLD_SECONDS_NOTE}", file=sys.stderr)
    if isinstance(index, ShardedIndex) and index.untrained and len(index.untrained) < len(index.shards):
        print(f"animeid: note: shard(s) {', '.join(map(str, index.untrained))} wait for their '{index.shards[0].factory}' "
              "index to be trained on more frames and are not searched yet", file=sys.stderr)
    out, failed = [], False
    for image in args.images:
        try:
            with query_source(image) as (source, clip):
                if clip:
                    answer = index.search_clip(source, k=args.k, title=args.title)
                    out.append({"image": image, "results": [h.to_dict() for h in answer.hits], "error": None,
                                "clip": answer.summary()})
                else:
                    hits = index.search(source, k=args.k, title=args.title)
                    out.append({"image": image, "results": [h.to_dict() for h in hits], "error": None})
        except AnimeidError as exc:
            failed = True
            out.append({"image": image, "results": [], "error": str(exc)})
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        for item in out:
            if item["error"]:
                print_error(item["error"])
                continue
            clip = item.get("clip")
            n = clip and clip["frames"]
            # one line per answer, whatever a file or title name holds (a reader goes line by line)
            print(one_line(item["image"]) + (f"  (clip: {n} frame{'s' * (n != 1)} over {clip['seconds']:.1f} s)"
                                             if clip else ""))
            for r in item["results"]:
                ep = "" if r["episode"] is None else f" ep {r['episode']}"
                where = (f"starts at {_clock(r['at'])}, {r['frames']}/{clip['frames']} frames agree" if clip else
                         f"at {_clock(r['at'])} ({_clock(r['from'])}-{_clock(r['to'])})")
                print(one_line(f"  {r['similarity']:.3f}  {r['title']}{ep}  {where}  {r['file']}"))
            if not item["results"]:
                print("  (no match)")
            elif item["results"][0]["similarity"] < LOW_SIMILARITY:
                print("  (low similarity: this scene is probably not in the index, or the picture is heavily edited)")
    return 1 if failed else 0


# Below this best similarity the answer is flagged, as the web page flags it (render.js): a tiny
# thumbnail or a picture from no indexed title still gets a nearest scene.
LOW_SIMILARITY = 0.8


def _clock(seconds: float) -> str:
    m, s = divmod(max(seconds, 0.0), 60)
    h, m = divmod(int(m), 60)
    return f"{h}:{m:02d}:{s:05.2f}" if h else f"{m}:{s:05.2f}"


def configure_info(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, required=True, help="index folder, or a gallery from `animeid enroll`")
    p.add_argument("--json", action="store_true", help="taken for symmetry with the other commands: info always "
                                                       "prints JSON")
    p.set_defaults(func=run_info)


def run_info(args) -> int:
    from animeid.distribute.sharded_index import open_index
    from animeid.store.store_kind import store_kind

    kind = store_kind(args.db)
    info = _gallery_info(args.db) if kind and kind[0] == "gallery" else open_index(args.db).info()
    print(json.dumps(info, ensure_ascii=False, indent=2))
    return 0


def _gallery_info(db: Path) -> dict:
    """A gallery's kind, embedders and labels with their image counts (what GET /labels lists)."""
    from animeid.recognize.recognizer import Recognizer

    rec = Recognizer.load(db)
    try:
        labels = rec.labels()
        return {"folder": str(db), "store": "gallery", "kind": rec.kind, "faces": rec.faces,
                "embedders": list(rec.cfg.recipe.embedders), "images": sum(labels.values()), "labels": labels}
    finally:
        rec.close()

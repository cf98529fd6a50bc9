"""A gallery built on a trained embedder versus the default frozen one (issue 3, galleries).

The user path measured end to end with the real command line: `animeid train siamese` on the
gallery's own training images, `animeid export`, `animeid enroll --embedder`, `animeid identify
--json` on test images nobody enrolled. The frozen-Lite0 gallery (`enroll` without `--embedder`)
is built and queried in the same run as the baseline.

    python bench/gallery_trained.py --data ../shared/data/characters/moeimouto10
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def animeid(*args: str, env: dict, stdout=subprocess.DEVNULL) -> subprocess.CompletedProcess:
    """Run one command; on failure its error lines are shown, since the bench's verdict is not."""
    cmd = [sys.executable, "-m", "animeid", *args]
    done = subprocess.run(cmd, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True, check=False)
    if done.returncode:
        tail = [line for line in done.stderr.splitlines() if line.strip()][-3:]
        print(f"`animeid {' '.join(args[:2])}` failed (exit {done.returncode}):", *tail, sep="\n  ", file=sys.stderr)
    return done


def score(answers: list[dict]) -> tuple[float, float]:
    """Top-1 of the best named label (ignoring "unknown"), and the share answered with a label."""
    from animeid.recognize.recognizer import UNKNOWN

    top = named = 0
    for item in answers:
        truth = Path(item["image"]).parent.name
        labels = [r["label"] for r in item["results"]]
        named += bool(labels) and labels[0] != UNKNOWN
        known = [x for x in labels if x != UNKNOWN]
        top += bool(known) and known[0] == truth
    return top / len(answers), named / len(answers)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data/characters/moeimouto10"),
                    help="folder with train/<label>/ and test/<label>/")
    ap.add_argument("--work", type=Path, help="working folder (default: a temporary one)")
    args = ap.parse_args()
    train, test = args.data / "train", args.data / "test"
    if not (train.is_dir() and test.is_dir()):
        print(f"{args.data} needs train/ and test/ folders", file=sys.stderr)
        return 2
    queries = sorted(str(p) for p in test.glob("*/*") if p.is_file())
    if args.work is not None and args.work.exists() and any(args.work.iterdir()):
        print(f"--work {args.work}: not empty; give a new folder (a re-run would resume, not measure)", file=sys.stderr)
        return 2
    work = args.work or Path(tempfile.mkdtemp(prefix="animeid-gallery-"))
    try:
        return run(args.data, train, queries, work)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


def run(data: Path, train: Path, queries: list[str], work: Path) -> int:
    # the exported embedder is registered in this cache, not the user's
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache")}
    times, figures = {}, {}

    t = time.perf_counter()
    done = animeid("train", "siamese", str(data), "--out", str(work / "model"), "--val-fraction", "0", env=env)
    done = done if done.returncode else animeid("export", str(work / "model"), "--name", "bench-trained", env=env)
    if done.returncode:
        print("training or export failed", file=sys.stderr)
        return 1
    times["train + export"] = time.perf_counter() - t
    for name, extra in (("frozen efficientnet-lite0 (default)", []), ("trained (siamese, exported)",
                                                                       ["--embedder", "bench-trained"])):
        db = work / ("gal-" + ("trained" if extra else "frozen"))
        t = time.perf_counter()
        if animeid("enroll", str(train), "--db", str(db), "--kind", "character", *extra, env=env).returncode:
            print(f"enrol failed for {name}", file=sys.stderr)
            return 1
        times[f"enrol {name}"] = time.perf_counter() - t
        t = time.perf_counter()
        out = animeid("identify", *queries, "--db", str(db), "--json", env=env, stdout=subprocess.PIPE)
        times[f"identify {name}"] = time.perf_counter() - t
        if not out.stdout.strip():  # exit 1 with JSON means some images failed; no JSON means it did
            return 1
        figures[name] = score(json.loads(out.stdout))

    print(f"{data}: {len(queries)} test images, gallery = train split")
    for name, (top1, answered) in figures.items():
        print(f"  {name:38s} top-1 {top1:.4f}   answered (not unknown) {answered:.4f}")
    for stage, s in times.items():
        print(f"  {stage:50s} {s:7.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

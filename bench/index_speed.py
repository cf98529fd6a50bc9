"""Indexing speed in multiples of real time at 2 fps sampling, decoding included, against the
seek-per-sample way of sampling (the baseline), measured in the same run; the default indexing
(with extra samples in fast action) beside fixed-rate-only indexing.

    python bench/index_speed.py [--library DIR] [--fps 2] [--encode 1920x1080 [--seconds 120]]

Without --library it indexes ../shared/data/video when present, else the bundled Big Buck Bunny.
--encode first re-encodes that library as one H.264 episode of that size (decoding every frame is
most of the cost, and it grows with the pixel count), and measures on it.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from animeid.config import IndexCfg  # noqa: E402
from bench_library import bench_library, encode_library, library_formats  # noqa: E402
from animeid.media.video import frame_at, iter_frames, probe  # noqa: E402
from animeid.scenes.indexer import index_library  # noqa: E402



def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--library", type=Path, default=None)
    ap.add_argument("--fps", type=float, default=2.0)
    ap.add_argument("--embedder", default="efficientnet-lite0")
    ap.add_argument("--encode", metavar="WxH", default=None,
                    help="re-encode the library as one H.264 episode of this size first")
    ap.add_argument("--seconds", type=float, default=120.0, help="with --encode: the episode's length")
    args = ap.parse_args()
    library, videos, seconds = bench_library(args.library)
    if args.encode:
        width, height = (int(x) for x in args.encode.lower().split("x"))
        t0 = time.perf_counter()
        episode_dir = tempfile.TemporaryDirectory()   # removed at exit
        library = encode_library(videos, Path(episode_dir.name), width, height, args.seconds)
        print(f"re-encoded as {args.seconds:.0f} s of H.264 {width}x{height} in {time.perf_counter() - t0:.0f} s")
        library, videos, seconds = bench_library(library)

    # baseline sampling: one seek per sampled instant (decode time only)
    t0 = time.perf_counter()
    for v in videos:
        dur = probe(v.path).duration
        t = 0.0
        while t < dur:
            frame_at(v.path, t, short_side=256)
            t += 1.0 / args.fps
    seek_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    n = sum(1 for v in videos for _ in iter_frames(v.path, args.fps, 256))
    linear_s = time.perf_counter() - t0
    print(f"{len(videos)} files ({library_formats(videos)}), {seconds:.1f} s of video, {n} samples at {args.fps} fps")
    print(f"decode only: sequential {seconds / linear_s:.1f}x real time, seek per sample (baseline) "
          f"{seconds / seek_s:.1f}x real time; ratio {seek_s / linear_s:.1f}x")

    from animeid.features.registry import create_embedder

    create_embedder(args.embedder)  # export/cache outside the timing
    # the default adds samples in fast action; the fixed-rate run shows what that costs
    for label, motion_fps in (("default, + fast-action samples", IndexCfg().motion_fps), ("fixed rate only", 0.0)):
        with tempfile.TemporaryDirectory() as tmp:
            cfg = replace(IndexCfg(), fps=args.fps, embedder=args.embedder, motion_fps=motion_fps)
            t0 = time.perf_counter()
            report = index_library(library, Path(tmp) / "db", cfg, progress=False)
            wall = time.perf_counter() - t0
        print(f"full indexing, {label} ({args.embedder}, decode + trim + embed + merge + store): {wall:.1f} s "
              f"-> {seconds / wall:.1f}x real time; {report.frames} frames -> {report.entries} entries "
              f"({report.frames / wall:.1f} frames/s)")
    print("target: >= 30x real time at 2 fps on 2 cores, decoding included")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Sharded indexing and search against one unsharded index, measured in the same run.

Builds the library once as one index, then as N shards one after another (sequential strategy)
and as N shards in N local processes (process-pool strategy, one thread each), and compares wall
times; then checks that the sharded index answers as the unsharded one and compares query latency.

    python bench/shards.py [--library DIR] [--shards 2] [--queries 40]

Without --library it uses ../shared/data/video when present, else the bundled Big Buck Bunny.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from animeid.config import IndexCfg  # noqa: E402
from bench_library import bench_library  # noqa: E402
from animeid.distribute.index_shards import index_shards  # noqa: E402
from animeid.distribute.process_pool_strategy import ProcessPoolStrategy  # noqa: E402
from animeid.distribute.sequential_strategy import SequentialStrategy  # noqa: E402
from animeid.distribute.sharded_index import ShardedIndex  # noqa: E402
from animeid.media.video import frames_at, probe  # noqa: E402
from animeid.scenes.index import Index  # noqa: E402
from animeid.scenes.indexer import index_library  # noqa: E402



def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--library", type=Path, default=None)
    ap.add_argument("--shards", type=int, default=2)
    ap.add_argument("--queries", type=int, default=40)
    args = ap.parse_args()
    library, videos, seconds = bench_library(args.library)
    cfg = IndexCfg()
    from animeid.features.registry import create_embedder

    create_embedder(cfg.embedder)  # export/cache outside the timing
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        _, one_s = timed(lambda: index_library(library, tmp / "one", cfg, progress=False))
        _, seq_s = timed(lambda: index_shards(library, tmp / "seq", cfg, args.shards, SequentialStrategy(False)))
        _, pool_s = timed(lambda: index_shards(library, tmp / "pool", cfg, args.shards,
                                               ProcessPoolStrategy(args.shards)))
        print(f"{len(videos)} files, {seconds:.1f} s of video, {args.shards} shards")
        print(f"build: one index {one_s:.1f} s ({seconds / one_s:.1f}x real time, baseline); "
              f"{args.shards} shards sequential {seq_s:.1f} s ({one_s / seq_s:.2f}x the baseline's speed); "
              f"{args.shards} shards in {args.shards} processes {pool_s:.1f} s ({one_s / pool_s:.2f}x; "
              "includes starting the processes)")

        plain, split = Index.load(tmp / "one"), ShardedIndex.load(tmp / "pool")
        rng = np.random.default_rng(0)
        same, lat_plain, lat_split = 0, [], []
        for _ in range(args.queries):
            v = videos[int(rng.integers(len(videos)))]
            t = float(rng.uniform(0, max(probe(v.path).duration - 0.1, 0.0)))
            shot = frames_at(v.path, [t])[0]
            a, da = timed(lambda: plain.search(shot, k=5))
            b, db = timed(lambda: split.search(shot, k=5))
            lat_plain.append(da)
            lat_split.append(db)
            same += bool(a and b and (a[0].file, round(a[0].at, 3)) == (b[0].file, round(b[0].at, 3)))
        print(f"search: top answer identical to the unsharded index's for {same}/{args.queries} queries; "
              f"p50 {1000 * np.median(lat_split):.1f} ms sharded vs {1000 * np.median(lat_plain):.1f} ms unsharded")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Scene-search accuracy on perturbed, never-indexed frames: animeid vs trace.moe's colour layout.

Indexes every clip at 2 fps (plus fast-action samples) with each embedder, then queries frames the
indexer never kept (neither grid nor fast-action samples; the samples are recomputed with the
index's settings and excluded), in eight variants, and prints per variant the share of
queries whose top answer has the right title, the right file, and a time within 1 s.

    python bench/scene_search.py [--library DIR ...] [--queries 12] [--index-only] [--seed 0]

Several --library folders are searched as one library (linked side by side in the work folder), so
`--library ../shared/data/video --library /your/episodes` measures both together. In a library of
whole episodes, the opening and ending repeat in every episode: `file*` also counts an answer in
another file whose frame is indistinguishable from the query frame, which no method can tell apart.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from animeid.config import IndexCfg, SearchCfg  # noqa: E402
from animeid.evaluate.perturbations import VARIANTS  # noqa: E402
from animeid.evaluate.unsampled import unsampled_query_times  # noqa: E402
from animeid.media.video import frames_at, probe  # noqa: E402
from animeid.scenes.index import Index  # noqa: E402
from animeid.scenes.indexer import index_library  # noqa: E402
from animeid.scenes.library import scan_library  # noqa: E402

DEFAULT_LIBRARY = ROOT.parent / "shared" / "data" / "video"


_FRAME_CACHE: dict = {}


def _frame(path, t):
    key = (str(path), round(t, 3))
    if key not in _FRAME_CACHE:
        _FRAME_CACHE[key] = frames_at(path, [t])[0].astype(np.int16)
    return _FRAME_CACHE[key]


def _indistinguishable(path, t_true: float, t_found: float, found_path=None) -> bool:
    """The frame at `t_found` (of `found_path`, default the same file) is the query frame to the eye."""
    a, b = _frame(path, t_true), _frame(found_path or path, t_found)
    return a.shape == b.shape and float(np.abs(a - b).mean()) < 2.0


def _one_library(libraries: list[Path], work: Path) -> Path:
    """The library to index: the only one given, or all of them linked side by side. Indexing
    several folders into one index one after another is refused (each run would drop the files
    of the folder before), so they become one folder of links."""
    if len(libraries) == 1:
        return libraries[0]
    merged = work / "library"
    seen: dict[str, Path] = {}
    for lib in libraries:
        for v in scan_library(lib, IndexCfg().video_extensions):
            if v.relpath in seen:
                sys.exit(f"bench: {v.relpath} is in both {seen[v.relpath]} and {lib}; rename one of them")
            seen[v.relpath] = lib
            link = merged / v.relpath
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.is_symlink():
                link.symlink_to(Path(v.path).resolve())
    return merged


def _modes(embedders: list[str], index_only: bool):
    """(label, embedder, search settings) per column. The baseline is searched as trace.moe does:
    borders cut, no mirror view, no re-ranking, no decoding. `index_only` adds animeid without its
    last step (placing the answer on its frame by decoding the video), to show what that step adds."""
    for name in embedders:
        if name == "color-layout":
            yield name, name, SearchCfg(query_mirror=False, refine_time=False, frame_placement=False)
            continue
        yield name, name, SearchCfg()
        if index_only:
            yield f"{name}, index only", name, SearchCfg(frame_placement=False)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--library", type=Path, action="append", default=None,
                    help="library folder of <Title>/<videos>; repeat it to search several as one "
                         "(default: ../shared/data/video)")
    ap.add_argument("--queries", type=int, default=12, help="query seconds per file")
    ap.add_argument("--fps", type=float, default=2.0)
    ap.add_argument("--embedders", default="efficientnet-lite0,color-layout")
    ap.add_argument("--work", type=Path, default=None, help="keep the indexes here (default: a temp folder)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--index-only", action="store_true",
                    help="also measure animeid without placing answers on their frames (no decoding)")
    args = ap.parse_args()
    libraries = args.library or [DEFAULT_LIBRARY]
    work = args.work or Path(tempfile.mkdtemp(prefix="animeid-bench-"))
    rng = np.random.default_rng(args.seed)

    library = _one_library(libraries, work)
    videos = scan_library(library, IndexCfg().video_extensions)
    index_cfg = replace(IndexCfg(), fps=args.fps)
    queries = []  # (video, t, {variant: image})
    for v in videos:
        duration = probe(v.path).duration
        times = unsampled_query_times(v.path, index_cfg, duration, args.queries)
        for t, frame in zip(times, frames_at(v.path, times)):
            queries.append((v, t, {name: fn(frame, rng) for name, fn in VARIANTS.items()}))
    distinct = len({(v.relpath, round(t, 3)) for v, t, _ in queries})
    print(f"{len(videos)} files, {len(queries)} query seconds ({distinct} distinct frames, none of them a "
          f"frame the indexer keeps) x {len(VARIANTS)} variants")

    results, built = {}, set()
    for label, name, scfg in _modes(args.embedders.split(","), args.index_only):
        db = work / name
        if name not in built:   # two columns of one embedder search one index
            built.add(name)
            index_library(library, db, replace(index_cfg, embedder=name), progress=False)
        index = Index.load(db)
        per_variant = {}
        latencies = []
        for variant in VARIANTS:
            title_ok = file_ok = same_ok = time_ok = span_ok = 0
            # indistinguishable: the frame shown at the answer's second is the query frame to the eye
            # (mean absolute difference < 2/255); no method can order identical frames in time.
            for v, t, images in queries:
                t0 = time.perf_counter()
                hits = index.search(images[variant], k=5, cfg=scfg)
                latencies.append(time.perf_counter() - t0)
                if not hits:
                    continue
                top = hits[0]
                title_ok += top.title == v.title
                same_file = top.file == v.relpath
                file_ok += same_file
                same_ok += same_file or _indistinguishable(v.path, t, top.at, index.video_path(top.file))
                strict = same_file and abs(top.at - t) <= 1.0
                time_ok += strict
                span_ok += strict or (same_file and _indistinguishable(v.path, t, top.at))
            n = len(queries)
            per_variant[variant] = (title_ok / n, file_ok / n, same_ok / n, time_ok / n, span_ok / n)
        results[label] = (per_variant, index.info()["entries"], float(np.median(latencies)) * 1000)

    names = list(results)
    print()
    header = f"{'variant':12s}" + "".join(f" | {n[:30]:>30s}: title  file  file*  t<=1s  t<=1s*" for n in names)
    print(header)
    print("-" * len(header))
    for variant in VARIANTS:
        row = f"{variant:12s}"
        for n in names:
            a, b, b2, c, d = results[n][0][variant]
            row += f" | {'':>30s}  {a:6.1%} {b:6.1%} {b2:6.1%} {c:6.1%} {d:6.1%}"
        print(row)
    for n in names:
        per_variant, entries, p50 = results[n]
        worst = {k: min(v[i] for v in per_variant.values())
                 for i, k in enumerate(["title", "file", "same", "time", "tie"])}
        print(f"{n}: {entries} entries; query p50 {p50:.1f} ms; worst variant: title {worst['title']:.1%}, "
              f"file {worst['file']:.1%} (file* {worst['same']:.1%}), time<=1s {worst['time']:.1%}, "
              f"time<=1s* {worst['tie']:.1%}")
    print("t<=1s*: also counts answers in the right file whose frame is indistinguishable from the query "
          "frame (mean abs. difference < 2/255: a static shot), which no method can place in time")
    print("file*: also counts answers in another file whose frame is indistinguishable from the query frame "
          "(an opening or ending repeated in every episode), which no method can tell apart")
    print("targets: title >= 99%, file >= 97%, time <= 1 s >= 95% for every variant")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Clip queries against single screenshots: where in the episode does a short clip start?

Indexes the library at 2 fps (plus fast-action samples), cuts windows of a few seconds starting at
random times out of every file, perturbs every frame of a window alike (clean, crop keeping 70 % of
the area, mirror), writes each as an animated GIF at 10 fps (a palette of 256 colours: what bots
receive) and as an H.264 MP4, and asks where it starts in three ways, all in the same run:

* first frame: the window's first frame searched as a screenshot (the answer's second is the start);
* middle frame: the middle frame as a screenshot, its answer minus its offset;
* clip: `animeid search CLIP` (`search_clip`: every sampled frame searched, answers vote on the start,
  then all frames are aligned with the entries around it), as GIF, as MP4 and as a lossy animated
  WebP (quality 80, as Pillow writes it; decoded by Pillow, since FFmpeg cannot);
* GIF, vote only: the same without the alignment (`ClipCfg(align_reach_s=0)`).

Prints, per variant and way: file right, start within 1 s, start within 0.5 s, and p50 latency.

    python bench/clip_search.py [--library DIR] [--windows 4] [--seconds 3]
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

from animeid.config import ClipCfg, IndexCfg  # noqa: E402
from animeid.evaluate.perturbations import VARIANTS  # noqa: E402
from animeid.media.video import frames_at, probe  # noqa: E402
from animeid.scenes.clip_search import search_clip  # noqa: E402
from animeid.scenes.index import Index  # noqa: E402
from animeid.scenes.indexer import index_library  # noqa: E402
from animeid.scenes.library import scan_library  # noqa: E402

DEFAULT_LIBRARY = ROOT.parent / "shared" / "data" / "video"
CLIP_FPS = 10
BENCH_VARIANTS = ("clean", "crop70", "mirror")


def write_animation(path: Path, frames: list[np.ndarray], **options) -> Path:
    """An animated GIF or WebP (by `path`'s extension) written by Pillow, as chat apps make them."""
    from PIL import Image

    images = [Image.fromarray(f) for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=1000 // CLIP_FPS, loop=0, **options)
    return path


def write_mp4(path: Path, frames: list[np.ndarray]) -> Path:
    import av

    h, w = (d - d % 2 for d in frames[0].shape[:2])
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=CLIP_FPS)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "23"}
        for f in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(f[:h, :w]), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--library", type=Path, default=DEFAULT_LIBRARY, help="library of <Title>/<videos>")
    ap.add_argument("--windows", type=int, default=4, help="clips cut out of every file")
    ap.add_argument("--seconds", type=float, default=3.0, help="clip length (shorter files: 80 %% of them)")
    ap.add_argument("--work", type=Path, default=None, help="keep the index and clips here (default: a temp folder)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--misses", action="store_true", help="list every answer more than 1 s off")
    args = ap.parse_args()
    if args.windows < 1 or not args.seconds > 0:
        ap.error("--windows must be >= 1 and --seconds > 0")
    work = args.work or Path(tempfile.mkdtemp(prefix="animeid-clips-"))
    rng = np.random.default_rng(args.seed)
    cfg = IndexCfg()
    index_library(args.library, work / "index", cfg, progress=False)
    index = Index.load(work / "index")

    clips = []  # (video, true start, variant, gif, mp4, first frame, middle frame, middle offset, webp)
    for v in scan_library(args.library, cfg.video_extensions):
        duration = probe(v.path).duration
        length = min(args.seconds, 0.8 * duration)
        for w in range(args.windows):
            start = float(rng.uniform(0, duration - length))
            times = [start + j / CLIP_FPS for j in range(int(length * CLIP_FPS) + 1)]
            frames = frames_at(v.path, times)
            for variant in BENCH_VARIANTS:
                seed = int(rng.integers(1 << 31))   # one crop for every frame of the clip
                out = [VARIANTS[variant](f, np.random.default_rng(seed)) for f in frames]
                stem = work / "clips" / f"{len(clips):04d}-{variant}"
                stem.parent.mkdir(parents=True, exist_ok=True)
                mid = len(out) // 2
                clips.append((v, times[0], variant, write_animation(stem.with_suffix(".gif"), out),
                              write_mp4(stem.with_suffix(".mp4"), out), out[0], out[mid], times[mid] - times[0],
                              write_animation(stem.with_suffix(".webp"), out, quality=80)))
    print(f"{len(clips) // len(BENCH_VARIANTS)} windows of <= {args.seconds:g} s x {len(BENCH_VARIANTS)} variants, "
          f"GIF, MP4 and WebP at {CLIP_FPS} fps; index: {index.info()['entries']} entries")

    ways = {
        "first frame": lambda c: _frame_answer(index, c[5], 0.0),
        "middle frame": lambda c: _frame_answer(index, c[6], c[7]),
        "clip (GIF)": lambda c: _clip_answer(index, c[3]),
        "clip (MP4)": lambda c: _clip_answer(index, c[4]),
        "clip (WebP)": lambda c: _clip_answer(index, c[8]),
        "GIF, vote only": lambda c: _clip_answer(index, c[3], ClipCfg(align_reach_s=0)),
    }
    misses: list[str] = []
    print(f"\n{'variant':8s} {'way':14s} {'file':>6s} {'<=1s':>6s} {'<=0.5s':>6s} {'p50 ms':>7s}")
    for variant in BENCH_VARIANTS:
        chosen = [c for c in clips if c[2] == variant]
        for way, answer in ways.items():
            file_ok = within1 = within05 = 0
            lat = []
            for c in chosen:
                t0 = time.perf_counter()
                found = answer(c)
                lat.append(time.perf_counter() - t0)
                if args.misses and (found is None or found[0] != c[0].relpath or abs(found[1] - c[1]) > 1.0):
                    misses.append(f"  {variant} {way}: {c[0].relpath} from {c[1]:.2f} s -> "
                                  + ("nothing" if found is None else f"{found[0]} at {found[1]:.2f} s"))
                if found is None or found[0] != c[0].relpath:
                    continue
                file_ok += 1
                within1 += abs(found[1] - c[1]) <= 1.0
                within05 += abs(found[1] - c[1]) <= 0.5
            n = len(chosen)
            print(f"{variant:8s} {way:14s} {file_ok / n:6.1%} {within1 / n:6.1%} {within05 / n:6.1%} "
                  f"{np.median(lat) * 1000:7.0f}")
    if misses:
        print("answers more than 1 s off:", *misses, sep="\n")
    return 0


def _frame_answer(index: Index, frame: np.ndarray, offset: float):
    hits = index.search(frame, k=1)
    return (hits[0].file, hits[0].at - offset) if hits else None


def _clip_answer(index: Index, path: Path, cfg: ClipCfg = ClipCfg()):
    answer = search_clip(index, path, k=1, cfg=cfg)
    return (answer.hits[0].scene.file, answer.hits[0].scene.at) if answer.hits else None


if __name__ == "__main__":
    sys.exit(main())

"""What placing an answer on its exact frame costs per screenshot, by source size: decoding the
window around the answer (from the keyframe before it) and correlating the screenshot with its
frames, at answers spread over an episode; how many the decoding budget skips; for answers in a
long hold, the exact-frame stage (the hold decoded again at full size); and, as the baseline
measured in the same run, answering from the index alone (no decoding at all: 0 s).

    python bench/frame_placement.py [--encode 1920x1080] [--seconds 40] [--answers 9]

The episode is the bench library (../shared/data/video, else Big Buck Bunny) re-encoded as one
H.264 file of that size (x264 veryfast, CRF 20, 24 fps, x264's default keyframe interval).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from animeid.config import SearchCfg  # noqa: E402
from animeid.media.video import frames_at, grey_frames_between  # noqa: E402
from animeid.scenes.exact_frame import pin_exact_frame  # noqa: E402
from animeid.scenes.frame_placement import placed_with_template  # noqa: E402
from animeid.scenes.hits import SceneHit  # noqa: E402
from bench_library import bench_library, encode_library  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encode", metavar="WxH", default="1920x1080")
    ap.add_argument("--seconds", type=float, default=40.0, help="the episode's length")
    ap.add_argument("--answers", type=int, default=9, help="answers spread over the episode")
    args = ap.parse_args()
    width, height = (int(x) for x in args.encode.lower().split("x"))
    _, videos, _ = bench_library(None)
    work = tempfile.TemporaryDirectory(prefix="animeid-placement-")
    t0 = time.perf_counter()
    library = encode_library(videos, Path(work.name), width, height, args.seconds)
    episode = library / "Re-encoded" / "Re-encoded - 01.mkv"
    print(f"re-encoded as {args.seconds:.0f} s of H.264 {width}x{height} in {time.perf_counter() - t0:.0f} s")

    cfg = SearchCfg()
    ats = np.linspace(cfg.frame_window_s + 1, args.seconds - cfg.frame_window_s - 1, args.answers)
    # the screenshot: a crop keeping 80 % of each side of the frame 0.4 s after each answer (never a
    # sampled instant)
    shots = frames_at(episode, [float(a) + 0.4 for a in ats], short_side=cfg.query_short_side)
    decode, correlate, skipped, unbudgeted, exact = [], [], 0, [], []
    for at, shot in zip(ats, shots):
        h, w = shot.shape[:2]
        grey = np.asarray(shot[h // 10: h - h // 10, w // 10: w - w // 10].mean(axis=2), np.uint8)
        t0 = time.perf_counter()
        window = grey_frames_between(episode, at - cfg.frame_window_s, at + cfg.frame_window_s, cfg.frame_width,
                                     cfg.frame_fps, cfg.frame_max_decoded_pixels)
        decode.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        grey_frames_between(episode, at - cfg.frame_window_s, at + cfg.frame_window_s, cfg.frame_width, cfg.frame_fps)
        unbudgeted.append(time.perf_counter() - t0)
        if window is None:
            skipped += 1
            continue
        t0 = time.perf_counter()
        placed, template = placed_with_template(SceneHit("E", 1, "E - 01.mkv", at, at, at, 1.0, 0), *window, grey,
                                                cfg.frame_tie_ncc, cfg.frame_tie_share)
        correlate.append(time.perf_counter() - t0)
        if template is not None and placed.held and placed.held[1] - placed.held[0] >= cfg.exact_min_run_s:
            # a hold: the exact-frame stage, given the same crop at the episode's own size
            full = frames_at(episode, [float(at) + 0.4])[0]
            fh, fw = full.shape[:2]
            native = np.asarray(full[fh // 10: fh - fh // 10, fw // 10: fw - fw // 10].mean(axis=2), np.uint8)
            t0 = time.perf_counter()
            pin_exact_frame(episode, placed, lambda: native, template, cfg)
            exact.append(time.perf_counter() - t0)
    print(f"{width}x{height}, {args.answers} answers, window +-{cfg.frame_window_s:.0f} s, budget "
          f"{cfg.frame_max_decoded_pixels:.1e} pixels:")
    print(f"  decoding the window (budgeted): p50 {np.median(decode) * 1000:.0f} ms, max {max(decode) * 1000:.0f} ms; "
          f"skipped by the budget: {skipped} of {args.answers}")
    print(f"  decoding the window without a budget: p50 {np.median(unbudgeted) * 1000:.0f} ms, "
          f"max {max(unbudgeted) * 1000:.0f} ms")
    if correlate:
        print(f"  correlating: p50 {np.median(correlate) * 1000:.0f} ms")
    if exact:
        print(f"  exact frame (answers in a hold of >= {cfg.exact_min_run_s:g} s, screenshot at full size): "
              f"{len(exact)} of {args.answers}, p50 {np.median(exact) * 1000:.0f} ms, max {max(exact) * 1000:.0f} ms")
    else:
        print(f"  exact frame: no answer fell in a hold of >= {cfg.exact_min_run_s:g} s")
    print("  baseline, the index's answer alone: no decoding (0 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Title from never-indexed frames (issue 3): enrol frames of some clips of each title into a
title gallery, then identify frames of a different episode or clip of the same title.

Titles with one clip only are split in time instead (enrol the first part, query the last part
after a gap), and reported separately because neighbouring shots of one clip are easier.
The baseline printed beside it is the frozen Lite0 + logistic regression on the same frames.

    python bench/title_frames.py --videos ../shared/data/video --fps 2
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np


def sample(path: Path, fps: float) -> list[tuple[str, np.ndarray]]:
    """(source name `clip@seconds`, frame): calibration then holds each clip out whole."""
    from animeid.media.video import iter_frames

    return [(f"{path.name}@{t:.2f}", img) for t, img in iter_frames(path, fps=fps, short_side=256)]


def split_title(clips: list[Path], fps: float, gap_s: float, enrol_share: float):
    if len(clips) >= 2:
        enrol = [f for c in clips[:-1] for f in sample(c, fps)]
        query = [img for _, img in sample(clips[-1], fps)]
        return enrol, query, f"enrol {', '.join(c.name for c in clips[:-1])}; query {clips[-1].name}"
    frames = sample(clips[0], fps)
    if len(frames) < 4:
        return [], [], "too short"
    times = [float(name.rsplit("@", 1)[1]) for name, _ in frames]
    cut = times[-1] * enrol_share
    enrol = [f for t, f in zip(times, frames) if t < cut]
    query = [f[1] for t, f in zip(times, frames) if t >= cut + gap_s] or [frames[-1][1]]
    return enrol, query, f"one clip: enrol t < {cut:.1f}s, query t >= {cut + gap_s:.1f}s"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=Path,
                    default=Path(__file__).resolve().parents[1].parent / "shared" / "data" / "video")
    ap.add_argument("--fps", type=float, default=2.0)
    ap.add_argument("--gap", type=float, default=1.0, help="seconds skipped between enrol and query parts")
    ap.add_argument("--enrol-share", type=float, default=0.6)
    args = ap.parse_args(argv)
    from animeid.recognize.config import BASELINE_RECIPE
    from animeid.recognize.feature_extractor import FeatureExtractor
    from animeid.recognize.recognizer import UNKNOWN, Recognizer

    exts = (".mp4", ".mkv", ".webm", ".avi", ".mov", ".gif", ".m4v")
    titles = sorted(d for d in args.videos.iterdir() if d.is_dir())
    data = {}
    for d in titles:
        clips = sorted(p for p in d.iterdir() if p.suffix.lower() in exts)
        if clips:
            data[d.name] = split_title(clips, args.fps, args.gap, args.enrol_share)
    with tempfile.TemporaryDirectory() as tmp:
        rec = Recognizer.create(Path(tmp) / "titles", "title")
        for title, (enrol, _, _) in data.items():
            if enrol:
                rec.enroll(title, [img for _, img in enrol], refit=False, warn=lambda m: None,
                           sources=[name for name, _ in enrol])
        cal = rec.refit()
        base_fx = FeatureExtractor(BASELINE_RECIPE)
        xs, ys = [], []
        for title, (enrol, _, _) in data.items():
            xs.append(base_fx.extract([img for _, img in enrol]))
            ys += [title] * len(enrol)
        from sklearn.linear_model import LogisticRegression

        baseline = LogisticRegression(max_iter=3000).fit(np.concatenate(xs), ys)
        print(f"gallery: {len(rec.gallery)} frames of {len(rec.labels())} titles; unknown threshold "
              f"{cal.threshold:.3f}")
        print(f"{'title':40} {'how':60} {'queries':>7} {'top-1':>6} {'answered':>8} {'baseline':>8}")
        tot = {"cross": [0, 0, 0, 0], "same-clip": [0, 0, 0, 0]}
        for title, (enrol, query, how) in data.items():
            if not enrol or not query:
                print(f"{title:40} skipped ({how})")
                continue
            answers = rec.identify_many(query, k=3)
            top = [next(r["label"] for r in a if r["label"] != UNKNOWN) for a in answers]
            answered = [a[0]["label"] != UNKNOWN for a in answers]
            right = np.mean([t == title for t in top])
            b = np.mean(baseline.predict(base_fx.extract(query)) == title)
            group = "same-clip" if how.startswith("one clip") else "cross"
            t = tot[group]
            t[0] += len(query); t[1] += right * len(query); t[2] += np.sum(answered); t[3] += b * len(query)
            print(f"{title[:40]:40} {how[:60]:60} {len(query):7d} {right:6.3f} {np.mean(answered):8.3f} {b:8.3f}")
        for group, (n, r, a, b) in tot.items():
            if n:
                print(f"overall {group:10} frames {n:4d}: gallery top-1 {r / n:.3f}, answered (not unknown) "
                      f"{a / n:.3f}; baseline Lite0+LR {b / n:.3f}")
        rec.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

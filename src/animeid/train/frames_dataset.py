"""`animeid dataset frames VIDEOS --out DIR`: S1's frame extractor with the cleaning it did by hand.

    VIDEOS/<Title>/<files>  ->  DIR/{train,test}/<Title>/*.jpg  + DIR/manifest.csv

Frames are sampled at `fps`, split by episode or time segment (never by random frame), blurred
frames and near-duplicates are dropped, and every test frame whose near-duplicate is in train is
reported and removed. The manifest records each kept frame's source file and timestamp, and each
dropped frame's reason, so the dataset can be audited and rebuilt."""
from __future__ import annotations

import csv
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from animeid.config import IndexCfg
from animeid.errors import AnimeidError, BadVideo
from animeid.train.config import FramesCfg
from animeid.train.frame_quality import hamming, laplacian_variance, perceptual_hash
from animeid.train.time_split import split_of, held_out_episodes, held_out_intervals

MANIFEST_FIELDS = ["split", "title", "image", "source", "seconds", "phash", "laplacian_var", "status"]


def scan_videos(videos: Path, extensions=IndexCfg.video_extensions) -> dict[str, list[Path]]:
    videos = Path(videos)
    if videos.exists() and not videos.is_dir():  # "no such folder" misled: the file is right there
        raise AnimeidError(f"{videos}: a file, not a folder (expected VIDEOS/<Title>/<video files>)")
    if not videos.is_dir():
        raise AnimeidError(f"{videos}: no such folder (expected VIDEOS/<Title>/<video files>)")
    titles = {}
    for d in sorted(p for p in videos.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = sorted(f for f in d.iterdir() if f.is_file() and f.suffix.lower() in extensions)
        if files:
            titles[d.name] = files
    if len(titles) < 1:
        raise AnimeidError(f"{videos}: no <Title>/<video> files found")
    return titles


def _frames_of(video: Path, cfg: FramesCfg, warn: Callable[[str], None]):
    from animeid.media.video import iter_frames

    try:
        yield from iter_frames(video, cfg.fps, short_side=cfg.short_side)
    except BadVideo as exc:
        warn(f"skipping {exc}")


def _duration(video: Path) -> float | None:
    """Seconds of `video` (0 when its stream does not say), or None when it does not open."""
    from animeid.media.video import probe

    try:
        return probe(video).duration
    except BadVideo:
        return None


def _save_frame(rgb: np.ndarray, row: dict, out: Path, n: int, quality: int) -> str:
    from PIL import Image

    # a file name holds at most 255 bytes, and the video's own name may already be that long; the
    # time and the counter keep shortened names apart
    stem = Path(row["source"]).stem.encode("utf-8", "surrogateescape")[:200].decode("utf-8", "ignore")
    rel = Path(row["split"]) / row["title"] / f"{stem}_{row['seconds']:09.3f}_{n:05d}.jpg"
    (out / rel).parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(out / rel, quality=quality)
    return str(rel)


def collect_frames(title: str, files: list[Path], cfg: FramesCfg, rng: np.random.Generator,
                   warn: Callable[[str], None], out: Path) -> list[dict]:
    """All sampled frames of one title with their split, hash, sharpness and drop reason; kept
    frames are written to `out` at once (an episode at 10 fps does not fit in memory)."""
    durations = {video: _duration(video) for video in files}
    # only videos that open are episodes: a corrupt one held out would leave the title no test frame
    episodes = [video for video in files if durations[video] is not None]
    by_episode = {episodes[i] for i in held_out_episodes(len(episodes), cfg.test_fraction, rng)}
    rows = []
    for video in files:
        duration = durations[video] or 0.0
        intervals = [] if by_episode else held_out_intervals(duration, cfg.test_fraction, cfg.segment_seconds, rng)
        kept = {"train": [], "test": []}
        for t, rgb in _frames_of(video, cfg, warn):
            if by_episode:
                split = "test" if video in by_episode else "train"
            else:
                split = split_of(t, intervals, cfg.guard_seconds)
            row = {"title": title, "source": str(video), "seconds": round(t, 3), "split": split or "",
                   "image": "", "phash": perceptual_hash(rgb), "laplacian_var": laplacian_variance(rgb)}
            if split is None:
                row["status"] = "dropped: train/test boundary guard"
            elif row["laplacian_var"] < cfg.min_laplacian_var:
                row["status"] = "dropped: blurred"
            elif len(kept[split]) and hamming(row["phash"], kept[split]).min() <= cfg.duplicate_bits:
                row["status"] = "dropped: near-duplicate"
            else:
                row["status"] = "kept"
                kept[split].append(row["phash"])
                row["image"] = _save_frame(rgb, row, out, len(rows), cfg.jpeg_quality)
            rows.append(row)
    return rows


def remove_leaks(rows: list[dict], leak_bits: int, out: Path) -> list[dict]:
    """Remove every kept test frame whose near-duplicate is a kept train frame (any title)."""
    train = np.array([r["phash"] for r in rows if r["status"] == "kept" and r["split"] == "train"], dtype=np.uint64)
    leaks = []
    for r in rows:
        if r["status"] == "kept" and r["split"] == "test" and len(train):
            if hamming(r["phash"], train).min() <= leak_bits:
                r["status"] = "dropped: test frame near-duplicate of a train frame"
                (out / r["image"]).unlink()
                r["image"] = ""
                leaks.append(r)
    return leaks


def note_title_without_test_frames(title: str, rows: list[dict], out: Path, warn: Callable[[str], None]) -> None:
    """A title left with no test frame is warned about, and its test folder (emptied by the leak
    removal) goes: `eval` and `enroll` warned about an empty label folder, far from the cause."""
    mine = [r for r in rows if r["title"] == title and r["split"] == "test"]
    if any(r["status"] == "kept" for r in mine):
        return
    folder = out / "test" / title
    if folder.is_dir():
        folder.rmdir()  # only kept frames were ever written there, and those were removed
    leaked = sum(r["status"].startswith("dropped: test frame near-duplicate") for r in mine)
    why = (f"its {leaked} test frame(s) were near-duplicates of train frames and were removed" if leaked
           else "none was sampled or all were blurred, duplicated or in a guard band")
    warn(f"{title}: no test frame ({why}); the title is not in test/")


def write_manifest(rows: list[dict], path: Path) -> None:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=MANIFEST_FIELDS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({**r, "phash": f"{r['phash']:016x}", "laplacian_var": round(r["laplacian_var"], 1)})


def check_frames_cfg(cfg: FramesCfg) -> None:
    """Every number checked with isfinite: `nan <= 0` is False, so a NaN --fps used to reach the
    decoder as a ValueError and a NaN --min-sharpness silently disabled the blur filter."""
    from animeid.number_checks import finite, whole

    finite(cfg.test_fraction, "--test-fraction", 0.0, 1.0, hi_open=True)
    finite(cfg.fps, "--fps", lo=0.0, lo_open=True)
    # a rate near the float limit overflowed the decoder's sampling grid: a traceback, not a message
    finite(cfg.fps, "--fps", hi=1000.0, why=" (no video has more frames a second)")
    finite(cfg.min_laplacian_var, "--min-sharpness", lo=0.0, why=" (0 keeps every frame)")
    whole(cfg.duplicate_bits, "--duplicate-bits", 0, 64)
    whole(cfg.seed, "--seed", 0)
    for name in ("segment_seconds", "guard_seconds"):
        finite(getattr(cfg, name), name, lo=0.0)


def check_out(out: Path) -> None:
    """A new dataset goes to a missing or empty folder, never over a file or existing data."""
    from animeid.output_folders import check_output_folder

    check_output_folder(out, "--out")  # a file, a path under a file, a read-only place
    if out.is_dir() and any(out.iterdir()):
        raise AnimeidError(f"--out {out}: exists and is not empty; choose a new --out folder")


def extract_frames_dataset(videos: Path, out: Path, cfg: FramesCfg = FramesCfg(),
                           log: Callable[[str], None] = print) -> dict:
    check_frames_cfg(cfg)
    out = Path(out)
    check_out(out)
    titles = scan_videos(videos)
    rng = np.random.default_rng(cfg.seed)

    def warn(msg: str) -> None:
        print(f"animeid: warning: {msg}", file=sys.stderr)

    # Build in a temp folder beside the target, then rename: a failed run leaves nothing half-written.
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    except OSError as exc:
        raise AnimeidError(f"cannot create the dataset folder {out}: {exc.strerror or exc}") from None
    try:
        rows = []
        for title, files in titles.items():
            title_rows = collect_frames(title, files, cfg, rng, warn, tmp)
            log(f"{title}: {len(files)} video(s), {len(title_rows)} frames sampled")
            rows += title_rows
        leaks = remove_leaks(rows, cfg.leak_bits, tmp)
        for r in leaks:
            log(f"leak removed: test frame {r['source']} @ {r['seconds']:.2f} s has a near-duplicate in train")
        if cfg.test_fraction > 0:
            for title in titles:
                note_title_without_test_frames(title, rows, tmp, warn)
        counts = {s: sum(r["status"] == "kept" and r["split"] == s for r in rows) for s in ("train", "test")}
        if counts["train"] == 0:
            raise AnimeidError("no usable frame: every video was unreadable, blurred or duplicated")
        if cfg.test_fraction > 0 and counts["test"] == 0:
            raise AnimeidError("empty test split: every test frame was dropped; "
                               "use longer videos or a larger --test-fraction")
        write_manifest(rows, tmp / "manifest.csv")
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except OSError as exc:
        where = f" ({Path(exc.filename).name})" if exc.filename else ""
        raise AnimeidError(f"cannot write the dataset to {out}: {exc.strerror or exc}{where}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    dropped: dict[str, int] = {}
    for r in rows:
        if r["status"] != "kept":
            dropped[r["status"]] = dropped.get(r["status"], 0) + 1
    per_title = {t: {s: sum(r["title"] == t and r["split"] == s and r["status"] == "kept" for r in rows)
                     for s in ("train", "test")} for t in titles}
    return {"out": str(out), "counts": counts, "dropped": dropped, "leaks": len(leaks), "titles": per_title}

"""Does training help? 1-NN accuracy of an ImageNet-only embedder vs a Siamese-trained one, measured
in the same run, on characters (moeimouto10 train/test) and on titles (a frame dataset extracted
from ../shared/data/video, split by time segment).

For each task: embed train (gallery) and test (queries) with the built-in `efficientnet-lite0`,
then `animeid train siamese` on train, `animeid export` the branch, embed again with the exported
embedder through `create_embedder`, and print both accuracies and the wall time.

    python bench/train.py [--characters DIR] [--videos DIR] [--work DIR] [--only characters|titles]
                          [--epochs N] [--val-fraction F]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from animeid.train.config import FramesCfg, SiameseCfg  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def labelled(folder: Path, classes: list[str] | None = None):
    from animeid.media.images import list_images, load_image

    classes = classes or sorted(p.name for p in folder.iterdir() if p.is_dir())
    images, labels = [], []
    for ci, c in enumerate(classes):
        if not (folder / c).is_dir():
            continue
        for p in list_images(folder / c):
            images.append(load_image(p))
            labels.append(ci)
    return images, np.asarray(labels), classes


def one_nn_accuracy(embedder, gallery, g_labels, queries, q_labels) -> float:
    g = embedder.embed(gallery)
    q = embedder.embed(queries)
    pred = g_labels[(q @ g.T).argmax(axis=1)]
    return float((pred == q_labels).mean())


def compare(name: str, data: Path, work: Path, cfg: SiameseCfg) -> dict:
    from animeid.features.registry import create_embedder
    from animeid.train.export import export_model
    from animeid.train.siamese_training import train_siamese

    t0 = time.monotonic()
    train_imgs, train_y, classes = labelled(data / "train")
    test_imgs, test_y, _ = labelled(data / "test", classes)
    base = one_nn_accuracy(create_embedder("efficientnet-lite0"), train_imgs, train_y, test_imgs, test_y)
    t_base = time.monotonic() - t0
    print(f"[{name}] {len(train_imgs)} train / {len(test_imgs)} test images, {len(classes)} classes", flush=True)
    print(f"[{name}] baseline efficientnet-lite0 (ImageNet only) 1-NN accuracy: {base:.3f} ({t_base:.0f} s)", flush=True)
    t1 = time.monotonic()
    meta = train_siamese(data, work / f"{name}-model", cfg, log=lambda s: print(f"[{name}]   {s}", flush=True))
    t_train = time.monotonic() - t1
    export_model(work / f"{name}-model", f"bench-{name}", force=True)  # the bench's own name, in its --work cache
    trained = one_nn_accuracy(create_embedder(f"bench-{name}"), train_imgs, train_y, test_imgs, test_y)
    t_all = time.monotonic() - t0
    print(f"[{name}] trained Siamese embedder 1-NN accuracy: {trained:.3f} "
          f"(training {t_train:.0f} s, total {t_all:.0f} s)", flush=True)
    return {"task": name, "train": len(train_imgs), "test": len(test_imgs), "classes": len(classes),
            "baseline": round(base, 4), "trained": round(trained, 4), "train_seconds": round(t_train, 1),
            "total_seconds": round(t_all, 1), "val": meta.get("val", {})}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--characters", type=Path, default=SHARED / "characters" / "moeimouto10")
    ap.add_argument("--videos", type=Path, default=SHARED / "video")
    ap.add_argument("--work", type=Path, default=None, help="keep models and datasets here (default: temp)")
    ap.add_argument("--only", choices=["characters", "titles"], default=None)
    ap.add_argument("--epochs", type=int, default=None, help="fine-tuning epochs (default: SiameseCfg)")
    ap.add_argument("--val-fraction", type=float, default=0.0,
                    help="share of train held out for validation (default 0: train on all of train; the CLI's "
                         "default is 0.15)")
    args = ap.parse_args()

    if args.work is not None and args.work.exists() and any(args.work.iterdir()):
        # a used folder holds checkpoints: training would resume and print old times as new
        print(f"--work {args.work}: not empty; give a new folder", file=sys.stderr)
        return 2
    work = args.work or Path(tempfile.mkdtemp(prefix="animeid-bench-train-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("ANIMEID_EMBEDDERS", str(work / "embedders"))
    cfg = SiameseCfg()
    if args.epochs is not None:
        cfg = replace(cfg, trainer=replace(cfg.trainer, epochs=args.epochs))
    if args.val_fraction is not None:
        cfg = replace(cfg, val_fraction=args.val_fraction)
    started = time.monotonic()
    results = []
    if args.only in (None, "characters"):
        results.append(compare("characters", args.characters, work, cfg))
    if args.only in (None, "titles"):
        from animeid.train.frames_dataset import extract_frames_dataset

        t0 = time.monotonic()
        report = extract_frames_dataset(args.videos, work / "title-frames", FramesCfg(), log=lambda s: None)
        print(f"[titles] frame dataset: {json.dumps(report['counts'])} ({time.monotonic() - t0:.0f} s)", flush=True)
        results.append(compare("titles", work / "title-frames", work, cfg))
    total = time.monotonic() - started
    cpu = time.process_time()
    print()
    print("| task | train / test images | classes | ImageNet-only 1-NN | Siamese-trained 1-NN | train s | total s |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['task']} | {r['train']} / {r['test']} | {r['classes']} | {r['baseline']:.3f} | "
              f"{r['trained']:.3f} | {r['train_seconds']:.0f} | {r['total_seconds']:.0f} |")
    cores = len(os.sched_getaffinity(0))
    print(f"\nfull run: {total:.0f} s wall, {cpu:.0f} s CPU on {cores} core(s) (an idle machine would need between "
          f"{cpu / cores:.0f} and {cpu:.0f} s wall); load average at the end {os.getloadavg()[0]:.1f}; work folder {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

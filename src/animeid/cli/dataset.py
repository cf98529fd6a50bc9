"""`animeid dataset frames` and `animeid dataset pairs`: build training data from videos and
image folders (see docs/training.md)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def configure_dataset(p: argparse.ArgumentParser) -> None:
    from animeid.train.config import FramesCfg

    d = FramesCfg()
    sub = p.add_subparsers(dest="dataset_command", metavar="ACTION")
    f = sub.add_parser("frames", help="extract a frame dataset DIR/{train,test}/<Title>/ from VIDEOS/<Title>/<files>",
                       description="Sample frames, split by episode or time segment, drop blurred frames and "
                                   "near-duplicates, remove test frames that leak from train, write a manifest.")
    f.add_argument("videos", type=Path, help="folder of <Title>/<video files>")
    f.add_argument("--out", type=Path, required=True, help="new dataset folder")
    f.add_argument("--fps", type=float, default=d.fps, help=f"frames sampled per second (default {d.fps})")
    f.add_argument("--test-fraction", type=float, default=d.test_fraction,
                   help=f"share of each title's time (or episodes) that goes to test (default {d.test_fraction})")
    f.add_argument("--min-sharpness", type=float, default=d.min_laplacian_var,
                   help=f"variance of the Laplacian below which a frame is blurred (default {d.min_laplacian_var})")
    f.add_argument("--duplicate-bits", type=int, default=d.duplicate_bits,
                   help=f"perceptual-hash distance (of 64 bits) for near-duplicates (default {d.duplicate_bits})")
    f.add_argument("--seed", type=int, default=d.seed)
    f.add_argument("--json", action="store_true", help="print the report as JSON")
    f.set_defaults(func=run_frames)
    q = sub.add_parser("pairs", help="write S1's pairs CSV (label 0 = same class, 1 = different)",
                       description="Every pair of images of DIR (or DIR/train), or with --balanced every "
                                   "same-class pair and as many random different-class pairs.")
    q.add_argument("data", type=Path, help="dataset folder (DIR/<class>/ or DIR/train/<class>/)")
    q.add_argument("--out", type=Path, required=True, help="CSV file to write")
    q.add_argument("--balanced", action="store_true", help="as many negative pairs as positive ones")
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--force", action="store_true", help="replace --out if it exists")
    q.set_defaults(func=run_pairs)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def run_frames(args) -> int:
    from dataclasses import replace

    from animeid.train.config import FramesCfg
    from animeid.train.frames_dataset import extract_frames_dataset

    cfg = replace(FramesCfg(), fps=args.fps, test_fraction=args.test_fraction, min_laplacian_var=args.min_sharpness,
                  duplicate_bits=args.duplicate_bits, seed=args.seed)
    report = extract_frames_dataset(args.videos, args.out, cfg, log=(lambda s: None) if args.json else print)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        c = report["counts"]
        print(f"{report['out']}: {c['train']} train / {c['test']} test frames; "
              f"{report['leaks']} leaking test frame(s) removed; dropped {json.dumps(report['dropped'])}")
        print(f"manifest: {Path(report['out']) / 'manifest.csv'}")
    return 0


def run_pairs(args) -> int:
    from animeid.errors import AnimeidError
    from animeid.number_checks import whole
    from animeid.output_folders import check_output_folder
    from animeid.train.pairs_csv import write_pairs_csv

    whole(args.seed, "--seed", 0)  # numpy refuses a negative seed with a traceback
    if args.out.is_dir():
        raise AnimeidError(f"--out {args.out}: is a folder; give the CSV file to write")
    if args.out.exists() and not args.force:
        raise AnimeidError(f"--out {args.out}: exists; pass --force to replace it")
    check_output_folder(args.out.parent, "--out")  # a path under a file, a read-only place
    r = write_pairs_csv(args.data, args.out, args.balanced, args.seed)
    print(f"{r['out']}: {r['same_class_pairs']:,} same-class (0) and {r['different_class_pairs']:,} "
          f"different-class (1) pairs from {r['images']} images in {r['classes']} classes")
    return 0

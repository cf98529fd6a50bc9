"""`animeid embedders [list]` and `animeid embedders add NAME MODEL.onnx`."""
from __future__ import annotations

import argparse
from pathlib import Path


def configure_embedders(p: argparse.ArgumentParser) -> None:
    p.set_defaults(func=run_list)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("list", help="list the registered embedders (the default)").set_defaults(func=run_list)
    add = actions.add_parser(
        "add", help="register an ONNX image backbone (N, 3, S, S) -> (N, D) under a name",
        description="Register an ONNX image backbone under NAME, so every --embedder option accepts it. The "
                    "graph is run once on two images first; nothing is registered if it cannot serve.")
    add.add_argument("name", help="the new embedder's name (letters, digits, '.', '_', '-')")
    add.add_argument("model", type=Path, help="the .onnx file: one float input (N, 3, S, S), first output (N, D)")
    add.add_argument("--input-size", type=int, default=None,
                     help="square input side in pixels (required when the graph leaves it dynamic)")
    add.add_argument("--mean", type=_three_floats, default=None,
                     help="per-channel RGB mean for pixels scaled to 0-1, e.g. 0.485,0.456,0.406 (the default)")
    add.add_argument("--std", type=_three_floats, default=None,
                     help="per-channel RGB std, e.g. 0.229,0.224,0.225 (the default)")
    add.add_argument("--metric", choices=["cosine", "l2"], default="cosine",
                     help="how vectors are compared (default cosine)")
    add.add_argument("--force", action="store_true", help="replace an embedder of that name")
    add.set_defaults(func=run_add)


def _three_floats(text: str) -> tuple[float, float, float]:
    parts = [p for p in text.replace(" ", ",").split(",") if p]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not three numbers separated by commas") from None
    if len(values) != 3:
        raise argparse.ArgumentTypeError(f"{text!r} has {len(values)} numbers; give three (R,G,B)")
    return values


def run_list(args) -> int:
    from animeid.errors import AnimeidError
    from animeid.features.cache import embedders_dir
    from animeid.features.registry import create_embedder, get_embedder_cfg, has_size_record, list_embedders

    for name in list_embedders():
        try:
            cfg = get_embedder_cfg(name)
            folder = embedders_dir() / name
            if folder.is_dir() and not has_size_record(folder):
                create_embedder(name, threads=1)   # a folder from before sizes were recorded: load it
        except AnimeidError as exc:  # one damaged folder must not hide the others
            print(f"{name:24s} BROKEN: {exc}")
            continue
        print(f"{name:24s} input {cfg.input_size:>4d}px  dim {cfg.dim:>5d}  metric {cfg.metric}")
    return 0


def run_add(args) -> int:
    from animeid.features.onnx_import import IMAGENET_MEAN, IMAGENET_STD, import_onnx_embedder

    folder, cfg = import_onnx_embedder(args.name, args.model, args.input_size, args.mean or IMAGENET_MEAN,
                                       args.std or IMAGENET_STD, args.metric, args.force)
    print(f"registered embedder {cfg.name!r}: input {cfg.input_size}px, dim {cfg.dim}, metric {cfg.metric} "
          f"({folder}); use it with --embedder {cfg.name}")
    return 0

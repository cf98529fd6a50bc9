"""Batch embedding throughput, decode excluded: ONNX Runtime (served) vs eager torch (the baseline).

    python bench/embed.py [--embedder efficientnet-lite0] [--n 256] [--batch 16]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from animeid.features.registry import create_embedder  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--embedder", default="efficientnet-lite0")
    ap.add_argument("--n", type=int, default=256, help="images per measurement")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--no-torch", action="store_true", help="skip the torch baseline")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    # frames as the indexer hands them over: decoded at a 256-px short side
    images = [rng.integers(0, 255, (256, 455, 3), dtype=np.uint8) for _ in range(args.n)]
    emb = create_embedder(args.embedder, batch_size=args.batch)
    emb.embed(images[: args.batch])  # warm-up
    t0 = time.perf_counter()
    emb.embed(images)
    onnx_total = args.n / (time.perf_counter() - t0)
    x = emb.preprocess(images[: args.batch])
    t0 = time.perf_counter()
    reps = max(1, args.n // args.batch)
    for _ in range(reps):
        emb.forward_tensor(x)
    onnx_net = reps * args.batch / (time.perf_counter() - t0)
    print(f"{args.embedder} ONNX Runtime, batch {args.batch}: {onnx_total:.1f} images/s incl. resize+normalise, "
          f"{onnx_net:.1f} images/s network only")
    if not args.no_torch and args.embedder.startswith("efficientnet-lite"):
        import torch

        from animeid.features.efficientnet_lite import build_torch_backbone

        # the same thread count ONNX Runtime got (ANIMEID_THREADS, else every core): a fair ratio
        threads = os.environ.get("ANIMEID_THREADS")
        torch.set_num_threads(int(threads) if threads else max(1, os.cpu_count() or 1))
        net = build_torch_backbone(args.embedder)
        xt = torch.from_numpy(x)
        with torch.no_grad():
            net(xt)
            t0 = time.perf_counter()
            n_torch = max(1, reps // 4)
            for _ in range(n_torch):
                net(xt)
        torch_net = n_torch * args.batch / (time.perf_counter() - t0)
        print(f"{args.embedder} eager torch (baseline), batch {args.batch}: {torch_net:.1f} images/s network only")
        print(f"ratio ONNX Runtime / torch: {onnx_net / torch_net:.1f}x")
    print("target: >= 50 images/s for efficientnet-lite0 on 2 cores, decode excluded")
    return 0


if __name__ == "__main__":
    sys.exit(main())

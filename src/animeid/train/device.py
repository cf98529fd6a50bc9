"""Pick the training device: a GPU when one is present, else the CPU (with torch's threads set to
the cores actually available, as oversubscribing 2 cores slows everything down)."""
from __future__ import annotations

import os


def resolve_device(name: str = "auto"):
    import torch

    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    threads = int(os.environ.get("ANIMEID_THREADS", "0")) or len(os.sched_getaffinity(0))
    torch.set_num_threads(max(1, threads))
    return torch.device("cpu")

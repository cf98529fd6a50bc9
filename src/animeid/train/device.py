"""Pick the training device: a GPU when one is present, else the CPU (with torch's threads set to
the cores actually available, as oversubscribing 2 cores slows everything down).

An explicit `--device` is checked here, not left to torch: torch accepts `cuda` on a machine
without CUDA and only fails (with an AssertionError) when the first tensor moves, and an unknown
name fails with a RuntimeError listing twenty device types nobody uses."""
from __future__ import annotations

import os

from animeid.errors import AnimeidError

_KNOWN = ("cpu", "cuda", "mps")


def resolve_device(name: str = "auto"):
    import torch

    if name != "auto":
        try:
            device = torch.device(name)
        except (RuntimeError, TypeError, ValueError):
            device = None
        if device is None or device.type not in _KNOWN:
            raise AnimeidError(f"--device {name!r}: unknown device; use auto, cpu, cuda, cuda:N or mps")
        if device.type == "cuda":
            if not torch.cuda.is_available():
                raise AnimeidError(f"--device {name}: no CUDA GPU is available here; use --device cpu or auto")
            if device.index is not None and device.index >= torch.cuda.device_count():
                raise AnimeidError(f"--device {name}: only {torch.cuda.device_count()} CUDA device(s) here")
        if device.type == "mps":
            mps = getattr(torch.backends, "mps", None)
            if mps is None or not mps.is_available():
                raise AnimeidError(f"--device {name}: Apple MPS is not available here; use --device cpu or auto")
        if device.type == "cpu":
            _set_cpu_threads(torch)
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    _set_cpu_threads(torch)
    return torch.device("cpu")


def _set_cpu_threads(torch) -> None:
    threads = int(os.environ.get("ANIMEID_THREADS", "0")) or len(os.sched_getaffinity(0))
    torch.set_num_threads(max(1, threads))

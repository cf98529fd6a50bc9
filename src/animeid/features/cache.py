"""Where derived artefacts (exported ONNX graphs, user-registered embedders) live: the user's cache
directory, overridable with ANIMEID_CACHE so tests and CI stay hermetic."""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    env = os.environ.get("ANIMEID_CACHE")
    if env:
        path = Path(env)
    else:
        from platformdirs import user_cache_dir

        path = Path(user_cache_dir("animeid"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_dir() -> Path:
    path = cache_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def embedders_dir() -> Path:
    """User-registered embedders (from `animeid export`), one folder each."""
    path = Path(os.environ.get("ANIMEID_EMBEDDERS") or cache_dir() / "embedders")
    path.mkdir(parents=True, exist_ok=True)
    return path

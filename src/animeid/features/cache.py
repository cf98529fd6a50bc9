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
    return _folder(path, "ANIMEID_CACHE")


def models_dir() -> Path:
    return _folder(cache_dir() / "models", "ANIMEID_CACHE")


def embedders_dir() -> Path:
    """User-registered embedders (from `animeid export`), one folder each."""
    path = Path(os.environ.get("ANIMEID_EMBEDDERS") or cache_dir() / "embedders")
    return _folder(path, "ANIMEID_EMBEDDERS" if os.environ.get("ANIMEID_EMBEDDERS") else "ANIMEID_CACHE")


def _folder(path: Path, variable: str) -> Path:
    """`path`, created if needed; a cache that cannot be a folder is one line naming the setting."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from animeid.errors import AnimeidError

        raise AnimeidError(f"{path}: not a usable cache folder ({exc.strerror or exc}); set {variable} "
                           "to a writable folder") from None
    return path

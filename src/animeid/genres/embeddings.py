"""Frozen poster features, cached on disk.

A poster's features are the average of several views (whole, mirrored, top/middle/bottom squares)
through each frozen backbone, concatenated across backbones. Averaging views is the cheap kind of
test-time augmentation that makes a linear head on 250 posters steadier. The cache key is the
image's SHA-256 plus the embedder name, its weights hash, its preprocessing (input size, mean, std),
dimension and metric, and the view list, so re-running training, cross-validation or an Optuna
search never re-embeds a poster, and a changed backbone (or the same weights re-registered with
another normalisation) never reuses stale vectors."""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from animeid.errors import AnimeidError

VIEW_NAMES = ("full", "flip", "top", "middle", "bottom")


def poster_views(img: np.ndarray, views: Sequence[str]) -> list[np.ndarray]:
    """The crops a poster is seen through. Square crops are taken along the long side."""
    h, w = img.shape[:2]
    s = min(h, w)
    out = []
    for v in views:
        if v == "full":
            out.append(img)
        elif v == "flip":
            out.append(np.ascontiguousarray(img[:, ::-1]))
        elif v in ("top", "middle", "bottom"):
            off = {"top": 0, "middle": (max(h, w) - s) // 2, "bottom": max(h, w) - s}[v]
            crop = img[off:off + s, :] if h >= w else img[:, off:off + s]
            out.append(np.ascontiguousarray(crop))
        else:
            raise AnimeidError(f"unknown poster view {v!r}; known: {', '.join(VIEW_NAMES)}")
    return out


def file_sha256(path: Path) -> str:
    from animeid.features.efficientnet_lite import sha256_file

    return sha256_file(path)


def embeddings_cache_dir() -> Path:
    from animeid.features.cache import cache_dir

    path = cache_dir() / "genre-embeddings"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _cache_key(cfg, views: Sequence[str]) -> str:
    """The cache folder for an embedder config (animeid.config.EmbedderCfg) and view list: every
    field that changes the vectors is in it."""
    mean, std = (",".join(repr(float(v)) for v in t) for t in (cfg.mean, cfg.std))
    ident = (f"{cfg.name}|{cfg.weights_sha256}|{','.join(views)}|size={cfg.input_size}|mean={mean}|std={std}"
             f"|dim={cfg.dim}|metric={cfg.metric}")
    return f"{cfg.name}-{hashlib.sha256(ident.encode()).hexdigest()[:16]}"


def _atomic_save(path: Path, arr: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, arr)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _EmbedderPool:
    """Embedders are loaded once per process (ONNX session start-up is ~0.5 s each). A user embedder
    re-registered under the same name while a process runs (the web service) is loaded anew, so its
    vectors match the config the model check and the cache key saw."""

    _cache: dict[tuple, object] = {}

    @classmethod
    def get(cls, name: str):
        from animeid.features.cache import embedders_dir
        from animeid.features.registry import create_embedder

        try:   # registering writes a new folder and renames it into place: a new inode and time
            st = (embedders_dir() / name / "embedder.json").stat()
            key = (name, st.st_ino, st.st_mtime_ns, st.st_size)
        except (OSError, ValueError, AnimeidError):
            key = (name,)   # a built-in embedder: fixed for the life of the process
        if key not in cls._cache:
            cls._cache[key] = create_embedder(name)
        return cls._cache[key]


def embed_images(images: Sequence[np.ndarray], embedders: Sequence[str], views: Sequence[str]) -> np.ndarray:
    """(n, sum of dims) features for decoded images (no cache: used for uploads)."""
    from animeid.features.embedder import l2_normalize

    if not images:
        return np.zeros((0, 0), dtype=np.float32)
    blocks = []
    for name in embedders:
        emb = _EmbedderPool.get(name)
        all_views = [v for img in images for v in poster_views(img, views)]
        vecs = emb.embed(all_views).reshape(len(images), len(views), -1).mean(axis=1)
        blocks.append(l2_normalize(vecs))
    return np.concatenate(blocks, axis=1).astype(np.float32)


def embed_files(paths: Sequence[Path], embedders: Sequence[str], views: Sequence[str],
                load: Callable[[Path], np.ndarray] | None = None, use_cache: bool = True) -> np.ndarray:
    """Features of image files, reading and filling the on-disk cache. Files must be readable:
    the caller has already dropped (and reported) the ones that are not."""
    from animeid.features.registry import get_embedder_cfg
    from animeid.media.images import load_image

    load = load or load_image
    shas = [file_sha256(p) for p in paths]
    blocks = []
    for name in embedders:
        cfg = get_embedder_cfg(name)
        folder = embeddings_cache_dir() / _cache_key(cfg, views)
        out = np.zeros((len(paths), cfg.dim), dtype=np.float32)
        missing = []
        for i, sha in enumerate(shas):
            f = folder / f"{sha}.npy"
            if use_cache and f.exists():
                try:
                    out[i] = np.load(f)
                    continue
                except (OSError, ValueError):
                    pass  # a damaged cache entry is recomputed
            missing.append(i)
        for start in range(0, len(missing), 16):
            idx = missing[start:start + 16]
            vecs = embed_images([load(paths[i]) for i in idx], [name], views)
            for j, i in enumerate(idx):
                out[i] = vecs[j]
                if use_cache:
                    _atomic_save(folder / f"{shas[i]}.npy", vecs[j])
        blocks.append(out)
    return np.concatenate(blocks, axis=1)

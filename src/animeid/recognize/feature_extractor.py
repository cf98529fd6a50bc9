"""Images to recognition vectors, following a `FeatureRecipe`, with a per-run cache.

Evaluating many methods on one data set must embed each image once: the cache is keyed by the
file (path, size, mtime) and the recipe, so `eval` of several methods, the baseline and the
report's t-SNE share one embedding pass."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from animeid.config import embedder_changes
from animeid.errors import IncompatibleIndex
from animeid.features.embedder import l2_normalize
from animeid.recognize.config import FeatureRecipe

VIEWS = ("base", "flip", "crop", "cropflip")


def make_view(img: np.ndarray, view: str, crop_fraction: float) -> np.ndarray:
    if view in ("crop", "cropflip"):
        h, w = img.shape[:2]
        ch, cw = max(1, int(round(h * crop_fraction))), max(1, int(round(w * crop_fraction)))
        y0, x0 = (h - ch) // 2, (w - cw) // 2
        img = img[y0:y0 + ch, x0:x0 + cw]
    if view in ("flip", "cropflip"):
        img = img[:, ::-1]
    return np.ascontiguousarray(img)


def color_block(images: Sequence[np.ndarray]) -> np.ndarray:
    """Hellinger-mapped HSV histograms: sqrt makes the dot product the Bhattacharyya coefficient."""
    from animeid.features.classical import hsv_histogram
    from PIL import Image

    rows = []
    for img in images:
        small = np.asarray(Image.fromarray(img).resize((128, 128), Image.BILINEAR))
        rows.append(np.sqrt(hsv_histogram(small)))
    return l2_normalize(np.asarray(rows, dtype=np.float32))


def source_key(source) -> str | None:
    """Cache key of an input: files by path, size and mtime; arrays and bytes are not cached."""
    if isinstance(source, (str, os.PathLike)):
        p = Path(source)
        try:
            st = p.stat()
        except OSError:
            return None
        return f"{p.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    return None


class FeatureExtractor:
    """Embeds decoded RGB images as the recipe says; backbones load on first use."""

    def __init__(self, recipe: FeatureRecipe, batch_size: int = 32):
        bad = [v for v in recipe.views if v not in VIEWS]
        if bad or not recipe.views:
            raise ValueError(f"unknown views {bad}; choose from {VIEWS}")
        self.recipe = recipe
        self.batch_size = batch_size
        self._embedders: dict = {}
        self.cache: dict[tuple[str, str], np.ndarray] = {}

    def embedder(self, name: str):
        if name not in self._embedders:
            from animeid.features.registry import create_embedder

            self._embedders[name] = create_embedder(name, batch_size=self.batch_size)
        return self._embedders[name]

    def signature(self) -> dict:
        """What a gallery records to refuse queries embedded differently (another backbone,
        other weights, another recipe)."""
        from animeid.features.registry import get_embedder_cfg

        cfgs = [get_embedder_cfg(n) for n in self.recipe.embedders]
        # preprocessing too: the same weights re-registered with another size, mean or std embed
        # otherwise (galleries from before it was recorded are compared on what they hold)
        return {"recipe": self.recipe.to_dict(),
                "embedders": [{"name": c.name, "dim": c.dim, "weights_sha256": c.weights_sha256,
                               "input_size": c.input_size, "mean": list(c.mean), "std": list(c.std),
                               "metric": c.metric} for c in cfgs]}

    @property
    def dim(self) -> int:
        from animeid.features.registry import get_embedder_cfg

        d = sum(get_embedder_cfg(n).dim for n in self.recipe.embedders)
        return d + (512 if self.recipe.color_weight > 0 else 0)

    def check_compatible(self, stored: dict) -> None:
        import json

        mine = json.loads(json.dumps(self.signature()))
        held, now_have = stored.get("embedders", []), mine["embedders"]
        same_count = len(held) == len(now_have)
        changed = [f"{h['name']} {k} {was} -> {now}" for h, m in zip(held, now_have)
                   for k, was, now in embedder_changes(h, m)]
        if stored.get("recipe") == mine["recipe"] and same_count and not changed:
            return
        if stored.get("recipe") != mine["recipe"]:
            why = (f"recipe {FeatureRecipe.from_dict(stored['recipe']).key}, "
                   f"this query uses {self.recipe.key}")
        elif same_count and all(h.get("weights_sha256") == m.get("weights_sha256") for h, m in zip(held, now_have)):
            why = f"embedders configured otherwise ({'; '.join(changed)}): register them as they were, or"
            raise IncompatibleIndex(f"gallery was built with {why} re-enrol into a new --db")
        else:
            have = ", ".join(f"{e['name']} ({e['weights_sha256'][:12]})" for e in stored.get("embedders", []))
            now = ", ".join(f"{e['name']} ({e['weights_sha256'][:12]})" for e in mine["embedders"])
            why = f"embedders {have}, this machine has {now}"
        raise IncompatibleIndex(f"gallery was built with {why} (re-enrol into a new --db)")

    def extract(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """(n, dim) float32, L2-normalised rows."""
        if len(images) == 0:
            return np.zeros((0, self.dim), np.float32)
        blocks = []
        for name in self.recipe.embedders:
            emb = self.embedder(name)
            acc = None
            for view in self.recipe.views:
                vecs = emb.embed([make_view(im, view, self.recipe.crop_fraction) for im in images])
                acc = vecs if acc is None else acc + vecs
            blocks.append(l2_normalize(acc))
        if self.recipe.color_weight > 0:
            blocks.append(self.recipe.color_weight * color_block(images))
        return l2_normalize(np.concatenate(blocks, axis=1))

    def extract_sources(self, sources: Sequence, load: Callable[[object], np.ndarray],
                        progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Like `extract` for files, decoding with `load` and reusing cached rows."""
        out = np.zeros((len(sources), self.dim), np.float32)
        todo = []
        for i, src in enumerate(sources):
            key = source_key(src)
            hit = self.cache.get((key, self.recipe.key)) if key else None
            if hit is not None:
                out[i] = hit
            else:
                todo.append(i)
        if progress and len(todo) < len(sources):
            progress(len(sources) - len(todo))
        step = max(1, self.batch_size)
        for start in range(0, len(todo), step):
            idx = todo[start:start + step]
            vecs = self.extract([load(sources[i]) for i in idx])
            for i, v in zip(idx, vecs):
                out[i] = v
                key = source_key(sources[i])
                if key:
                    self.cache[(key, self.recipe.key)] = v
            if progress:
                progress(len(idx))
        return out

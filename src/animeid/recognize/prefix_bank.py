"""Frozen-prefix activations of the evaluation images, computed once per backbone and view.

Fine-tuning only the last blocks means the prefix (stem and all earlier blocks, ~90% of the
compute) never changes: running it once per image and view, before any training, turns the
fine-tune of `eval --method best` from hours into minutes on 2 cores. Augmentation therefore
happens before the prefix, as a few cached random views per training image (`train.augment`);
the image itself and its mirror are cached for every image, as training views and test views."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from animeid.recognize.config import FineTuneCfg

TEST_VIEWS = ("base", "flip", "crop", "cropflip")


def shrink(img: np.ndarray, max_side: int) -> np.ndarray:
    """The image with its longest side at most `max_side` (inputs are <= 260 px; memory)."""
    h, w = img.shape[:2]
    if max(h, w) <= max_side:
        return img
    from PIL import Image

    s = max_side / max(h, w)
    return np.asarray(Image.fromarray(img).resize((max(1, round(w * s)), max(1, round(h * s))), Image.BILINEAR))


class PrefixBank:
    """`acts(backbone, view)` -> float16 tensor (N, C, H, W) of the prefix output of every image
    (rows follow `paths`); augmented views `aug1..augK` hold rows only for `train_rows`."""

    def __init__(self, paths: Sequence[Path], cfg: FineTuneCfg, load: Callable | None = None,
                 images: Sequence[np.ndarray] | None = None, log: Callable[[str], None] = lambda s: None):
        self.paths = list(paths)
        self.cfg = cfg
        self.log = log
        self._load = load
        self._images = [shrink(im, cfg.max_side) for im in images] if images is not None else None
        self._acts: dict[tuple[str, str], object] = {}
        self._nets: dict[str, object] = {}
        self.aug_rows: np.ndarray = np.zeros(0, dtype=int)

    def images(self) -> list[np.ndarray]:
        if self._images is None:
            if self._load is None:
                from animeid.media.images import load_image

                self._load = load_image
            self._images = [shrink(self._load(p), self.cfg.max_side) for p in self.paths]
        return self._images

    def __len__(self) -> int:
        return len(self._images) if self._images is not None else len(self.paths)

    def cut(self, backbone: str) -> int:
        """Index of the first trainable block of `backbone`."""
        k = self.cfg.trainable_blocks[self.cfg.backbones.index(backbone)]
        return max(0, len(self.network(backbone)._blocks) - k)

    def network(self, backbone: str):
        """A pristine pretrained network (loaded once; callers deep-copy it before training)."""
        if backbone not in self._nets:
            from animeid.train.lite_embedding_net import lite_network

            self._nets[backbone] = lite_network(backbone)
        return self._nets[backbone]

    def prepare(self, backbone: str, train_rows: np.ndarray) -> None:
        """Compute every view of `backbone` not cached yet: base and flip of all images, the
        augmented views of `train_rows` (all training rows of every split, computed once)."""
        import torch

        from animeid.features.registry import get_embedder_cfg
        from animeid.train.activation_cache import view_images
        from animeid.train.config import AugmentCfg
        from animeid.train.lite_embedding_net import LiteEmbeddingNet
        from animeid.train.prefix_runner import PrefixRunner

        train_rows = np.unique(np.asarray(train_rows, dtype=int))
        if (backbone, "base") in self._acts and np.array_equal(train_rows, self.aug_rows):
            return
        torch.set_num_threads(torch_threads(self.cfg.threads))
        ecfg = get_embedder_cfg(backbone)
        model = LiteEmbeddingNet(self.network(backbone), self.cut(backbone), dim=None)
        # The ONNX session takes its thread count from ANIMEID_THREADS (default: every core).
        runner = PrefixRunner(model, backbone, ecfg.input_size, use_onnx=self.cfg.onnx_prefix)
        imgs = self.images()
        views = {v: [_test_view(im, v) for im in imgs] for v in TEST_VIEWS
                 if v in ("base", "flip") or v in self.cfg.test_views}
        train_imgs = [imgs[i] for i in train_rows]
        for k in range(1, self.cfg.augmented_views + 1):
            views[f"aug{k}"] = view_images(train_imgs, k, self.cfg.seed, AugmentCfg())
        for name, batch in views.items():
            self._acts[(backbone, name)] = _run(runner, batch, ecfg)
            self.log(f"prefix {backbone}: view {name} ({len(batch)} images)")
        self.aug_rows = train_rows

    def acts(self, backbone: str, view: str, rows: np.ndarray):
        """Activations of `rows` (indices into the images) for one view."""
        import torch

        a = self._acts[(backbone, view)]
        rows = np.asarray(rows, dtype=int)
        if view.startswith("aug"):
            pos = np.searchsorted(self.aug_rows, rows)
            if np.any(pos >= len(self.aug_rows)) or np.any(self.aug_rows[np.minimum(pos, len(self.aug_rows) - 1)] != rows):
                raise KeyError("augmented views exist only for training rows")
            rows = pos
        return a[torch.as_tensor(rows)]

    def train_views(self) -> list[str]:
        return ["base", "flip"] + [f"aug{k}" for k in range(1, self.cfg.augmented_views + 1)]


def torch_threads(threads: int) -> int:
    """`threads`, or ANIMEID_THREADS / every core when 0 (as the ONNX embedders do)."""
    from animeid.features.onnx_backbone import default_threads

    return max(1, threads or default_threads())


def _test_view(img: np.ndarray, view: str) -> np.ndarray:
    from animeid.recognize.feature_extractor import make_view

    return make_view(img, view, 0.875)


def _run(runner, images: Sequence[np.ndarray], ecfg, batch: int = 32):
    import torch

    from animeid.features.embedder import to_input_tensor

    out = None
    for i in range(0, len(images), batch):
        a = runner(to_input_tensor(images[i:i + batch], ecfg))
        if out is None:
            out = torch.empty((len(images), *a.shape[1:]), dtype=torch.float16)
        out[i:i + len(a)] = a
    return out

"""The contract every embedder keeps: RGB uint8 images in, L2-normalised float32 rows out.

Normalising here means every index, gallery and head downstream can use inner product as cosine
similarity and never has to know which backbone produced the vectors."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Sequence

import numpy as np

from animeid.config import EmbedderCfg


def l2_normalize(x: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), eps)


def to_input_tensor(images: Sequence[np.ndarray], cfg: EmbedderCfg) -> np.ndarray:
    """Resize each image to the square input (the whole frame, squashed: cropping would throw away
    the very regions a cropped screenshot may keep) and normalise to NCHW float32."""
    from PIL import Image

    size = cfg.input_size
    batch = np.empty((len(images), size, size, 3), dtype=np.uint8)
    for i, img in enumerate(images):
        if img.shape[0] == size and img.shape[1] == size:
            batch[i] = img
        else:
            batch[i] = np.asarray(Image.fromarray(img).resize((size, size), Image.BILINEAR))
    x = batch.astype(np.float32)
    x *= 1.0 / 255.0
    x -= np.asarray(cfg.mean, dtype=np.float32)
    x /= np.asarray(cfg.std, dtype=np.float32)
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


class Embedder(ABC):
    """Base class: subclasses implement `_forward` on a preprocessed batch."""

    normalize = True

    def __init__(self, cfg: EmbedderCfg, batch_size: int = 32):
        self.cfg = cfg
        self.batch_size = batch_size

    @property
    def name(self) -> str:
        return self.cfg.name

    @property
    def dim(self) -> int:
        return self.cfg.dim

    def preprocess(self, images: Sequence[np.ndarray]) -> np.ndarray:
        return to_input_tensor(images, self.cfg)

    @abstractmethod
    def _forward(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Raw (unnormalised) features for up to `batch_size` images."""

    def embed(self, images: Sequence) -> np.ndarray:
        """Rows for HxWx3 uint8 RGB arrays; anything else `load_image` reads (a path, a PIL image,
        bytes, a grey, RGBA or float array) is converted as it would be, never reinterpreted (a
        float 0-1 array cast to uint8 is a black frame)."""
        from animeid.media.images import image_list, rgb_array

        if isinstance(images, np.ndarray) and images.ndim == 4:   # a batch N x H x W x C
            images = list(images)
        # one HxWx3 array, iterated, was its rows: "image is 3x224, too small"
        images = [rgb_array(i) for i in image_list(images, "embed", "use embed([image]) or embed_one(image)")]
        if len(images) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = [self._forward(images[i:i + self.batch_size]) for i in range(0, len(images), self.batch_size)]
        feats = np.concatenate(out, axis=0).astype(np.float32)
        return l2_normalize(feats) if self.normalize else feats

    def embed_one(self, image: np.ndarray) -> np.ndarray:
        return self.embed([image])[0]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.cfg.name!r}, dim={self.cfg.dim})"

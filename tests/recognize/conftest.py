"""A tiny deterministic embedder (colour statistics) so gallery tests run without a network."""
import numpy as np
import pytest

from animeid.config import EmbedderCfg
from animeid.features.embedder import Embedder
from animeid.features.registry import register_embedder
from animeid.recognize.config import FeatureRecipe, GalleryCfg

TEST_CFG = EmbedderCfg(name="test-colour", input_size=16, mean=(0, 0, 0), std=(1, 1, 1), dim=6,
                       weights_sha256="test")


class ColourStats(Embedder):
    def _forward(self, images):
        rows = []
        for im in images:
            x = im.astype(np.float32) / 255.0
            rows.append(np.concatenate([x.mean((0, 1)) - 0.5, x.std((0, 1))]) + 1e-3)
        return np.asarray(rows)


register_embedder("test-colour", cfg=lambda: TEST_CFG)(lambda batch_size=32, threads=None: ColourStats(TEST_CFG))


@pytest.fixture
def test_cfg():
    return GalleryCfg(recipe=FeatureRecipe(embedders=("test-colour",), views=("base",)), neighbours=8)


def colour_images(rng, rgb, n, size=24, noise=20):
    base = np.array(rgb, dtype=np.float32)
    return [np.clip(base + rng.normal(0, noise, (size, size, 3)), 0, 255).astype(np.uint8) for _ in range(n)]


@pytest.fixture
def colours():
    return colour_images


@pytest.fixture
def colour_gallery(tmp_path, rng):
    """GALLERY/<label>/<png> with three colour classes, one with an odd label."""
    from PIL import Image

    root = tmp_path / "gallery"
    for label, rgb in (("red", (220, 30, 30)), ("green", (30, 200, 40)), ("ブルー.v2 (blue)", (30, 40, 220))):
        d = root / label
        d.mkdir(parents=True)
        for i, img in enumerate(colour_images(rng, rgb, 6)):
            Image.fromarray(img).save(d / f"{i}.png")
    return root

"""The embedders animeid ships: ImageNet EfficientNet-Lite (served by ONNX Runtime) and the MPEG-7
colour layout baseline."""
from __future__ import annotations

from functools import lru_cache

from animeid.config import EmbedderCfg
from animeid.features.color_layout import COLOR_LAYOUT_CFG, ColorLayoutEmbedder
from animeid.features.registry import register_embedder


@lru_cache(maxsize=None)
def _lite_cfg(variant: str) -> EmbedderCfg:
    from animeid.features.efficientnet_lite import LITE_MEAN, LITE_STD, VARIANTS, sha256_file, weights_path

    v = VARIANTS[variant]
    return EmbedderCfg(name=variant, input_size=v.input_size, mean=LITE_MEAN, std=LITE_STD, dim=v.dim,
                       weights_sha256=sha256_file(weights_path(variant)))


def _register_lite(variant: str) -> None:
    @register_embedder(variant, cfg=lambda: _lite_cfg(variant))
    def factory(batch_size: int = 32, threads: int | None = None):
        from animeid.features.efficientnet_lite import ensure_onnx
        from animeid.features.onnx_backbone import OnnxEmbedder

        path, _ = ensure_onnx(variant)
        try:
            return OnnxEmbedder(_lite_cfg(variant), path, batch_size=batch_size, threads=threads)
        except Exception:  # a damaged cached export (disk full, a bad copy): export it again, once
            import sys

            print(f"animeid: note: {path} could not be loaded; exporting it again", file=sys.stderr)
            path, _ = ensure_onnx(variant, rebuild=True)
            return OnnxEmbedder(_lite_cfg(variant), path, batch_size=batch_size, threads=threads)


for _variant in ("efficientnet-lite0", "efficientnet-lite1", "efficientnet-lite2"):
    _register_lite(_variant)


@register_embedder("color-layout", cfg=lambda: COLOR_LAYOUT_CFG)
def _color_layout(batch_size: int = 256, threads: int | None = None):
    return ColorLayoutEmbedder(batch_size=batch_size)

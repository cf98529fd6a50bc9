"""`animeid export MODEL --name NAME`: model surgery. One branch of the trained network (backbone ->
GAP -> Dense -> L2 for a Siamese model; backbone -> GAP -> L2 for a classifier) is cut out, written
as ONNX and registered by name, so `create_embedder(NAME)` and every `--embedder NAME` option use it.

The name is checked first (a safe folder name, not built in, not taken unless `force`): the export
takes a while, and replacing an embedder silently would make every index built with it unusable."""
from __future__ import annotations

import tempfile
from pathlib import Path

from animeid.config import EmbedderCfg


def export_model(model_dir: Path, name: str, force: bool = False) -> Path:
    from animeid.features.efficientnet_lite import export_onnx, sha256_file
    from animeid.features.registry import check_embedder_name, register_onnx_embedder
    from animeid.train.model_file import load_embedding_branch

    check_embedder_name(name, force)
    branch, meta = load_embedding_branch(model_dir)
    inp = meta["input"]
    cfg = EmbedderCfg(name=name, input_size=int(inp["input_size"]), mean=tuple(inp["mean"]), std=tuple(inp["std"]),
                      dim=int(branch.dim), weights_sha256=sha256_file(Path(model_dir) / "model.pt"), metric="cosine")
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = export_onnx(branch, Path(tmp) / "model.onnx", cfg.input_size)
        extra = {"source": str(Path(model_dir).resolve()), "kind": meta["arch"]["kind"],
                 "backbone": meta["arch"]["backbone"], "classes": meta.get("classes", [])}
        return register_onnx_embedder(name, onnx_path, cfg, extra, force=force)

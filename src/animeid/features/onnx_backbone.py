"""Serving a backbone with ONNX Runtime: ~7x faster than eager torch on 2 CPU cores, and torch is
not needed at all once the ONNX file is cached."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from animeid.config import EmbedderCfg
from animeid.features.embedder import Embedder


def default_threads() -> int:
    return int(os.environ.get("ANIMEID_THREADS", "0")) or (os.cpu_count() or 1)


class OnnxEmbedder(Embedder):
    """Any ONNX graph with one NCHW float input whose first output is (N, dim) features."""

    def __init__(self, cfg: EmbedderCfg, onnx_path: Path, batch_size: int = 32, threads: int | None = None):
        super().__init__(cfg, batch_size)
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or default_threads()
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Busy-waiting workers steal the core the video decoder needs while indexing.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.onnx_path = Path(onnx_path)
        self.session = ort.InferenceSession(str(self.onnx_path), opts, providers=["CPUExecutionProvider"])
        self._input = self.session.get_inputs()[0].name
        self._output = self.session.get_outputs()[0].name

    def _forward(self, images: Sequence[np.ndarray]) -> np.ndarray:
        x = self.preprocess(images)
        return self.session.run([self._output], {self._input: x})[0].reshape(len(images), -1)

    def forward_tensor(self, x: np.ndarray) -> np.ndarray:
        """Run an already-preprocessed NCHW batch (used by test-time augmentation)."""
        return self.session.run([self._output], {self._input: x})[0].reshape(x.shape[0], -1)

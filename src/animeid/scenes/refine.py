"""Temporal refinement. The global CNN vector is (by design) blind to where things are in the
frame, so it finds the right scene but cannot tell neighbouring frames of a pan or of a character
moving over a still background apart. Each entry therefore also keeps a tiny grey thumbnail, and the
entries around a found scene are re-ranked by normalised cross-correlation with the screenshot,
over a few crop hypotheses (screenshots are often cropped) and both orientations (mirrored AMVs).
Correlation is invariant to brightness and contrast changes, and the thumbnail is too small for
JPEG artefacts or caption text to matter much."""
from __future__ import annotations

import numpy as np

THUMB_W, THUMB_H = 64, 36
SCALES = (1.0, 0.9, 0.8)
STRIDE = 2


def thumbnail(img: np.ndarray) -> np.ndarray:
    """Grey, squashed to THUMB_W x THUMB_H (the whole frame, as the embedder sees it), uint8."""
    from PIL import Image

    return np.asarray(Image.fromarray(img).convert("L").resize((THUMB_W, THUMB_H), Image.BOX), dtype=np.uint8)


def _zscore(x: np.ndarray, axes) -> np.ndarray:
    x = x - x.mean(axis=axes, keepdims=True)
    return x / np.maximum(np.sqrt((x * x).mean(axis=axes, keepdims=True)), 1e-3)


def crop_ncc(query: np.ndarray, thumbs: np.ndarray) -> np.ndarray:
    """Best correlation of the query thumbnail with each candidate thumbnail, assuming the query shows
    the whole frame or a crop of 80-100% of each side at any position (or its mirror image)."""
    from PIL import Image

    cands = thumbs.astype(np.float32)
    best = np.full(len(cands), -1.0, dtype=np.float32)
    q_img = Image.fromarray(query)
    for flip in (False, True):
        src = q_img.transpose(Image.FLIP_LEFT_RIGHT) if flip else q_img
        for sy in SCALES:
            for sx in SCALES:
                w, h = int(round(THUMB_W * sx)), int(round(THUMB_H * sy))
                q = _zscore(np.asarray(src.resize((w, h), Image.BOX), dtype=np.float32), None)
                win = np.lib.stride_tricks.sliding_window_view(cands, (h, w), axis=(1, 2))[:, ::STRIDE, ::STRIDE]
                win = _zscore(win, (-2, -1))
                score = (win * q).mean(axis=(-2, -1)).reshape(len(cands), -1).max(axis=1)
                best = np.maximum(best, score)
    return best

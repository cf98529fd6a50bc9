"""Temporal refinement. The global CNN vector is (by design) blind to where things are in the
frame, so it finds the right scene but cannot tell neighbouring frames of a pan or of a character
moving over a still background apart. Each entry therefore also keeps a tiny grey thumbnail, and
candidate entries are compared with the screenshot by normalised cross-correlation over a few crop
hypotheses (screenshots are often cropped), in the orientation that matched (mirrored AMVs).
Correlation is invariant to brightness and contrast changes, and the thumbnail is too small for
JPEG artefacts or caption text to matter much."""
from __future__ import annotations

import numpy as np

from animeid.scenes.frame_correlation import box_sums, standardised

THUMB_W, THUMB_H = 64, 36
SCALES = (1.0, 0.9, 0.8)
STRIDE = 1
# Templates: the whole screenshot, and its top three quarters (burned-in captions sit at the bottom).
TEMPLATE_ROWS = (1.0, 0.75)


def thumbnail(img: np.ndarray) -> np.ndarray:
    """Grey, squashed to THUMB_W x THUMB_H (the whole frame, as the embedder sees it), uint8."""
    from PIL import Image

    return np.asarray(Image.fromarray(img).convert("L").resize((THUMB_W, THUMB_H), Image.BOX), dtype=np.uint8)


def _templates(query: np.ndarray, orientations: tuple[bool, ...]):
    """(zero-mean unit-variance template padded to the thumbnail size, h, w, highest top row)."""
    from PIL import Image

    out = []
    for flip in orientations:
        q_full = query[:, ::-1] if flip else query
        for keep in TEMPLATE_ROWS:
            rows = int(round(THUMB_H * keep))
            q_img = Image.fromarray(np.ascontiguousarray(q_full[:rows]))
            # the caption template is tried uncropped only: captions and crops rarely come together
            for sy in (SCALES if keep == 1.0 else (1.0,)):
                for sx in (SCALES if keep == 1.0 else (1.0,)):
                    w, h = int(round(THUMB_W * sx)), int(round(rows * sy))
                    q = standardised(np.asarray(q_img.resize((w, h), Image.BOX), dtype=np.float32))
                    padded = np.zeros((THUMB_H, THUMB_W), np.float32)
                    padded[:h, :w] = q
                    # a template cut from the top of the screenshot sits no lower than its crop allows
                    max_y = THUMB_H - (h if keep == 1.0 else int(round(THUMB_H * sy)))
                    out.append((padded, h, w, max_y))
    return out


class CropMatcher:
    """Best correlation of a query thumbnail with candidate thumbnails, assuming the query shows the
    whole frame or a crop of 80-100% of each side at any position (optionally mirrored), or the top
    three quarters of either (captions). Templates are built once per query and orientation.

    With a zero-mean, unit-variance template, correlation at a position is the template's dot
    product with the window divided by the window's standard deviation; all dot products come from
    one batched FFT cross-correlation, and the window statistics from integral images."""

    def __init__(self, query: np.ndarray, orientations: tuple[bool, ...] = (False, True), chunk: int = 16):
        self.templates = _templates(query, orientations)
        self.spectra = np.conj(np.fft.rfft2(np.stack([t[0] for t in self.templates])))
        self.chunk = chunk

    def scores(self, thumbs: np.ndarray) -> np.ndarray:
        if not len(thumbs):
            return np.zeros(0, np.float32)
        # chunks keep the (candidates x templates) spectra inside the CPU caches
        return np.concatenate([_crop_ncc(thumbs[i:i + self.chunk], self.templates, self.spectra)
                               for i in range(0, len(thumbs), self.chunk)])


def crop_ncc(query: np.ndarray, thumbs: np.ndarray, orientations: tuple[bool, ...] = (False, True)) -> np.ndarray:
    return CropMatcher(query, orientations).scores(thumbs)


def _crop_ncc(thumbs: np.ndarray, templates, t_spectra: np.ndarray) -> np.ndarray:
    cands = thumbs.astype(np.float32)
    n = len(cands)
    integral = np.zeros((n, THUMB_H + 1, THUMB_W + 1))
    integral[:, 1:, 1:] = cands.astype(np.float64).cumsum(1).cumsum(2)
    integral_sq = np.zeros_like(integral)
    integral_sq[:, 1:, 1:] = (cands.astype(np.float64) ** 2).cumsum(1).cumsum(2)
    corr = np.fft.irfft2(np.fft.rfft2(cands)[:, None] * t_spectra[None], s=(THUMB_H, THUMB_W))
    best = np.full(n, -1.0)
    stats: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    for k, (_, h, w, max_y) in enumerate(templates):
        if (h, w) not in stats:
            area = h * w
            s1 = box_sums(integral, h, w) / area
            s2 = box_sums(integral_sq, h, w) / area
            stats[(h, w)] = (s1, np.sqrt(np.maximum(s2 - s1 * s1, 1.0)))
        std = stats[(h, w)][1][:, :max_y + 1:STRIDE, ::STRIDE]
        dots = corr[:, k, :max_y + 1:STRIDE, :THUMB_W - w + 1:STRIDE] / (h * w)
        best = np.maximum(best, (dots / std).reshape(n, -1).max(axis=1))
    return best.astype(np.float32)

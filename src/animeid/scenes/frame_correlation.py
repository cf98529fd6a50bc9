"""Where a screenshot sits in decoded frames, and how well it fits there: normalised
cross-correlation of one template against a stack of frames at every position.

Screenshots are cropped, squashed, mirrored, captioned and tinted. A template is the screenshot
scaled to the share of the frame it is assumed to show (`fx` of its width, `fy` of its height),
possibly mirrored, possibly only its top three quarters (captions sit at the bottom). Correlation
ignores brightness and contrast, so tints cost little; position comes free from the FFT."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Shares of each side a screenshot may show: whole frames down to a 70 % crop of each side.
COARSE_SHARES = (1.0, 0.925, 0.85, 0.775, 0.7)
# Then the best pair is refined by these steps around it, twice.
FINE_STEPS = ((-0.0375, 0.0, 0.0375), (-0.01875, 0.0, 0.01875))
# Captioned screenshots are also tried by their top three quarters, uncropped.
CAPTION_ROWS = 0.75
MIN_SIDE = 8


@dataclass(frozen=True)
class Template:
    fx: float
    fy: float
    flip: bool
    rows: float = 1.0


class FrameStack:
    """Grey frames of one size, prepared once (spectra, integral images) for many templates."""

    def __init__(self, frames: np.ndarray, dtype=np.float32):
        self.frames = frames.astype(dtype)
        n, self.h, self.w = self.frames.shape
        self.spectra = np.fft.rfft2(self.frames)
        # float32 sums of squares over a few thousand pixels stay within ~1e-4 of their variance
        # (and a window's standard deviation is floored at 1 grey level anyway); full-size frames
        # (`animeid.scenes.exact_frame`) take float64
        self.integral = np.zeros((n, self.h + 1, self.w + 1), dtype)
        self.integral[:, 1:, 1:] = self.frames.cumsum(1).cumsum(2)
        self.integral_sq = np.zeros_like(self.integral)
        self.integral_sq[:, 1:, 1:] = (self.frames * self.frames).cumsum(1).cumsum(2)

    def __len__(self) -> int:
        return len(self.frames)

    def scores(self, query: np.ndarray, template: Template) -> np.ndarray:
        """Best correlation of the template with each frame, over every position it may take."""
        made = _template_image(query, template, self.h, self.w)
        if made is None:
            return np.full(len(self), -1.0, np.float32)
        image, max_y = made
        ncc = self.correlations(image)
        return ncc[:, :max_y + 1].reshape(len(self), -1).max(axis=1).astype(np.float32)

    def correlations(self, image: np.ndarray) -> np.ndarray:
        """Correlation of a standardised image with each frame at every position it may take:
        (frames, rows, columns) of top-left corners."""
        th, tw = image.shape
        padded = np.zeros((self.h, self.w), self.frames.dtype)
        padded[:th, :tw] = image
        corr = np.fft.irfft2(self.spectra * np.conj(np.fft.rfft2(padded))[None], s=(self.h, self.w))
        area = th * tw
        mean = box_sums(self.integral, th, tw) / area
        sq = box_sums(self.integral_sq, th, tw) / area
        std = np.sqrt(np.maximum(sq - mean * mean, 1.0))
        return corr[:, :self.h - th + 1, :self.w - tw + 1] / area / std


def box_sums(integral: np.ndarray, h: int, w: int) -> np.ndarray:
    """Sums over every h x w window, from a zero-padded integral image (n, H+1, W+1)."""
    return integral[:, h:, w:] - integral[:, :-h, w:] - integral[:, h:, :-w] + integral[:, :-h, :-w]


def standardised(image: np.ndarray) -> np.ndarray:
    """Zero mean and unit variance (a flat image stays flat), so a dot product is a correlation."""
    image = image - image.mean()
    return image / max(float(np.sqrt((image * image).mean())), 1e-3)


def _template_image(query: np.ndarray, template: Template, h: int, w: int) -> tuple[np.ndarray, int] | None:
    """(zero-mean, unit-variance template image, highest top row it may take) for frames h x w."""
    from PIL import Image

    q = query[:, ::-1] if template.flip else query
    rows = max(1, int(round(q.shape[0] * template.rows)))
    shown_h = int(round(h * template.fy))
    th, tw = int(round(shown_h * template.rows)), int(round(w * template.fx))
    if min(th, tw) < MIN_SIDE or th > h or tw > w:
        return None
    image = standardised(np.asarray(Image.fromarray(np.ascontiguousarray(q[:rows])).resize((tw, th), Image.BOX),
                                    np.float32))
    # a template cut from the top of the screenshot sits no lower than the screenshot itself could
    return image, h - shown_h


def fit_template(query: np.ndarray, frame: np.ndarray) -> tuple[Template, float]:
    """The template (shares of the frame, orientation, caption rows) that fits one grey frame best,
    with its correlation: a coarse grid, then finer steps around the best of it."""
    candidates = [Template(fx, fy, flip) for flip in (False, True) for fy in COARSE_SHARES for fx in COARSE_SHARES]
    candidates += [Template(1.0, 1.0, flip, CAPTION_ROWS) for flip in (False, True)]
    frame = FrameStack(frame[None])
    best, best_score = _best(query, frame, candidates)
    for steps in FINE_STEPS if best.rows == 1.0 else ():
        finer = [Template(min(1.0, best.fx + dx), min(1.0, best.fy + dy), best.flip)
                 for dy in steps for dx in steps if dx or dy]
        fine, fine_score = _best(query, frame, finer)
        if fine_score > best_score:
            best, best_score = fine, fine_score
    return best, best_score


def _best(query: np.ndarray, frame: FrameStack, candidates: list[Template]) -> tuple[Template, float]:
    scores = [float(frame.scores(query, t)[0]) for t in candidates]
    i = int(np.argmax(scores))
    return candidates[i], scores[i]

"""Letterbox and pillarbox removal. Users crop screenshots from players that add black bars; bars
change every descriptor of the frame, so they are cut before anything is embedded."""
from __future__ import annotations

import numpy as np


def find_content_box(img: np.ndarray, dark: float = 24.0, spread: float = 10.0,
                     min_keep: float = 0.4) -> tuple[int, int, int, int]:
    """Return (top, bottom, left, right) of the content inside uniform dark bars.

    A row is a bar row when it is dark on average and nearly uniform. Bars are only trimmed from the
    outside in, and never beyond `min_keep` of either dimension, so a dark scene is left alone.
    """
    gray = img.astype(np.float32).mean(axis=2) if img.ndim == 3 else img.astype(np.float32)
    h, w = gray.shape

    def is_bar(lines: np.ndarray) -> np.ndarray:
        return (lines.mean(axis=1) < dark) & (lines.std(axis=1) < spread)

    rows = is_bar(gray)
    cols = is_bar(gray.T)
    top = 0
    while top < h and rows[top]:
        top += 1
    bottom = h
    while bottom > top and rows[bottom - 1]:
        bottom -= 1
    left = 0
    while left < w and cols[left]:
        left += 1
    right = w
    while right > left and cols[right - 1]:
        right -= 1
    if (bottom - top) < min_keep * h:
        top, bottom = 0, h
    if (right - left) < min_keep * w:
        left, right = 0, w
    return top, bottom, left, right


def trim_borders(img: np.ndarray, **kwargs) -> np.ndarray:
    """The image without its black bars (the same array when there are none)."""
    top, bottom, left, right = find_content_box(img, **kwargs)
    if (top, bottom, left, right) == (0, img.shape[0], 0, img.shape[1]):
        return img
    return img[top:bottom, left:right]

"""The views of a screenshot that are searched. Users mirror (AMVs), letterbox and crop frames;
each view undoes one of those, and the best-matching view wins."""
from __future__ import annotations

import numpy as np

from animeid.config import SearchCfg
from animeid.media.borders import trim_borders


def center_crop(img: np.ndarray, area: float) -> np.ndarray:
    """The centred part of `img` covering `area` (0 < area <= 1) of it, same aspect."""
    if not 0 < area <= 1:
        raise ValueError(f"a zoom view covers a share of the picture in (0, 1], got {area}")
    side = float(np.sqrt(area))
    h, w = img.shape[:2]
    ch, cw = max(1, int(round(h * side))), max(1, int(round(w * side)))
    y, x = (h - ch) // 2, (w - cw) // 2
    return img[y:y + ch, x:x + cw]


def query_views(img: np.ndarray, cfg: SearchCfg) -> list[np.ndarray]:
    base = trim_borders(img) if cfg.trim_borders else img
    views = [base]
    views += [center_crop(base, a) for a in cfg.zoom_views]
    if cfg.query_mirror:
        views += [np.ascontiguousarray(v[:, ::-1]) for v in list(views)]
    return views

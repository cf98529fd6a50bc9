"""Every figure animeid draws. This is the only module that imports matplotlib, and it does so
lazily with the non-interactive Agg backend, so servers and tests never need a display.
Each function takes plain arrays and an output path, and returns the path."""
from __future__ import annotations

import functools
import re
import warnings
from pathlib import Path
from typing import Mapping, Sequence

# fonts that cover CJK, used as a fallback family after the default one when installed
CJK_FONTS = ("Noto Sans CJK JP", "Noto Sans JP", "Source Han Sans", "IPAGothic", "IPAexGothic", "TakaoGothic",
             "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback", "Unifont")
LABEL_WIDTH = 24  # characters of a label on an axis or in a legend


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fallback = _cjk_font()
    if fallback and fallback not in plt.rcParams["font.family"]:
        # a list of families: matplotlib takes each glyph from the first family that has it
        plt.rcParams["font.family"] = [*plt.rcParams["font.family"], fallback]
    return plt


@functools.lru_cache(maxsize=1)
def _cjk_font() -> str | None:
    """The first installed CJK-capable family of CJK_FONTS, or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


@functools.lru_cache(maxsize=1)
def _renderable() -> frozenset:
    """Code points the fonts labels are drawn in can render (the default sans-serif family and the
    CJK fallback, when installed)."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    plt = _pyplot()
    points: set[int] = set()
    for family in plt.rcParams["font.family"]:
        path = font_manager.findfont(font_manager.FontProperties(family=[family]))
        points |= set(FT2Font(path).get_charmap())
    return frozenset(points)


def _quiet(fn):
    """Drawing without matplotlib's one-warning-per-missing-glyph flood on stderr: labels are
    cleaned by `display_labels`, and a glyph elsewhere that the font lacks is not worth 27 lines."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from")
            warnings.filterwarnings("ignore", message=r"Matplotlib currently does not support")
            return fn(*args, **kwargs)

    return wrapper


def _middle(text: str, width: int) -> str:
    """`text` cut to `width` characters in the middle: labels of one series share their start and
    differ at the end (`..._one`, `..._two`), so both ends stay."""
    if len(text) <= width:
        return text
    tail = (width - 1) // 2
    return text[:width - 1 - tail] + "…" + text[len(text) - tail:]


def display_labels(labels: Sequence, width: int = LABEL_WIDTH) -> list[str]:
    """Labels as a plot can show them: distinct, at most `width` characters (middle ellipsis),
    and drawable. A label with characters the fonts lack keeps those it can draw, prefixed with
    its position (`#3 Sakura`, counting from 1), as is any label that would still collide."""
    ok = _renderable()
    out = []
    for i, lab in enumerate(labels, 1):
        text = str(lab)
        if any(ord(c) not in ok for c in text):
            kept = re.sub(r"\s+", " ", "".join(c for c in text if ord(c) in ok)).strip()
            text = (f"#{i} " + _middle(kept, max(1, width - len(f"#{i} ")))).strip()
        out.append(_middle(text, width))
    seen: dict[str, int] = {}
    for t in out:
        seen[t] = seen.get(t, 0) + 1
    for i, t in enumerate(out):
        if seen[t] > 1:
            out[i] = f"#{i + 1} " + _middle(str(labels[i]), max(1, width - len(f"#{i + 1} ")))
    return out


def _save(plt, fig, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


@_quiet
def line_curves(series: Mapping[str, Sequence[float]], path: Path, title: str = "",
                xlabel: str = "step", ylabel: str = "") -> Path:
    """Several named curves on one axis (loss curves, threshold/F1 curves)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, ys in series.items():
        ax.plot(range(len(ys)), list(ys), label=name)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if series:
        ax.legend()
    fig.tight_layout()
    return _save(plt, fig, path)


@_quiet
def threshold_f1_curves(curves: Mapping[str, tuple[Sequence[float], Sequence[float]]], path: Path,
                        title: str = "micro-F1 against a global decision threshold") -> Path:
    """F1 (y) against threshold (x) for several models; each curve's maximum is marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, (xs, ys) in curves.items():
        xs, ys = list(xs), list(ys)
        line, = ax.plot(xs, ys, label=name)
        if ys:
            k = max(range(len(ys)), key=ys.__getitem__)
            ax.plot([xs[k]], [ys[k]], "o", color=line.get_color())
    ax.set_title(title)
    ax.set_xlabel("threshold")
    ax.set_ylabel("micro-F1")
    ax.set_ylim(0, 1)
    if curves:
        ax.legend()
    fig.tight_layout()
    return _save(plt, fig, path)


@_quiet
def per_genre_bars(genres: Sequence[str], f1: Sequence[float], support: Sequence[int], path: Path,
                   title: str = "F1 per genre (support in brackets)") -> Path:
    """Horizontal bars of per-genre F1, most frequent genre on top."""
    plt = _pyplot()
    order = sorted(range(len(genres)), key=lambda i: (-support[i], genres[i]))
    fig, ax = plt.subplots(figsize=(7, max(3.0, 0.28 * len(genres) + 1)))
    labels = [f"{genres[i]} ({support[i]})" for i in order]
    ax.barh(range(len(order)), [f1[i] for i in order], color="#4c72b0")
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("F1")
    ax.set_title(title)
    fig.tight_layout()
    return _save(plt, fig, path)


@_quiet
def confusion_matrix_png(matrix, labels: Sequence[str], path: Path, title: str = "") -> Path:
    """Counts with rows = predicted class and columns = true class (seed report S1's layout)."""
    import numpy as np

    plt = _pyplot()
    m = np.asarray(matrix)
    n = len(labels)
    size = max(4.0, 0.45 * n + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    im = ax.imshow(m, cmap="Blues")
    shown = display_labels(labels)
    ax.set_xticks(range(n), shown, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(n), shown, fontsize=8)
    ax.set_xlabel("true")
    ax.set_ylabel("predicted")
    if n <= 30:
        for i in range(n):
            for j in range(n):
                if m[i, j]:
                    ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=7,
                            color="white" if m[i, j] > m.max() / 2 else "black")
    from matplotlib.ticker import MaxNLocator

    fig.colorbar(im, ax=ax, fraction=0.046, ticks=MaxNLocator(integer=True))  # counts: whole ticks
    ax.set_title(title)
    fig.tight_layout()
    return _save(plt, fig, path)


# marker shapes, one per group of colours: tab20 has 20 colours, so label 21 is a circle's colour
# drawn as a triangle rather than a second circle of label 1's colour
MARKERS = ("o", "^", "s", "D", "v", "P", "X", "*", "<", ">")
LEGEND_MAX = 40  # above this many labels a legend covers the plot and nobody reads it


def label_styles(n: int) -> list[tuple[str, int, str]]:
    """(colour map name, colour index, marker) per label: distinct (colour, marker) pairs for up
    to 200 labels (20 colours x 10 markers); beyond that pairs repeat, as they must somewhere."""
    cmap, size = ("tab20", 20) if n > 10 else ("tab10", 10)
    return [(cmap, i % size, MARKERS[(i // size) % len(MARKERS)]) for i in range(n)]


@_quiet
def scatter_by_label(points, labels: Sequence[str], path: Path, title: str = "") -> Path:
    """2-D or 3-D points (e.g. a t-SNE of embeddings), one colour and marker pair per label. Up
    to 20 labels the legend sits inside; up to LEGEND_MAX it goes beside the plot in small type
    and columns; above that it is left out (and the figure says so): it would hide the points."""
    import numpy as np

    plt = _pyplot()
    pts = np.asarray(points)
    dims = pts.shape[1]
    names = sorted(set(labels), key=str)
    wide = 20 < len(names) <= LEGEND_MAX
    fig = plt.figure(figsize=(11, 6.5) if wide else (8, 6.5))
    ax = fig.add_subplot(111, projection="3d") if dims == 3 else fig.add_subplot(111)
    lab = np.asarray(labels, dtype=object)
    for name, shown, (cmap, colour, marker) in zip(names, display_labels(names), label_styles(len(names))):
        sel = lab == name
        coords = [pts[sel, d] for d in range(dims)]
        ax.scatter(*coords, s=12, color=plt.get_cmap(cmap)(colour), marker=marker, label=shown)
    ax.set_title(title)
    if len(names) <= 20:
        ax.legend(fontsize=7, markerscale=1.5, loc="best")
    elif wide:
        ax.legend(fontsize=6, markerscale=1.2, loc="upper left", bbox_to_anchor=(1.02, 1.0), ncol=2,
                  borderaxespad=0.0)
    else:
        fig.text(0.01, 0.01, f"{len(names)} labels: no legend (more than {LEGEND_MAX}); "
                 "colour and marker pairs are distinct up to 200 labels", fontsize=7)
    fig.tight_layout()
    return _save(plt, fig, path)

"""Every figure animeid draws. This is the only module that imports matplotlib, and it does so
lazily with the non-interactive Agg backend, so servers and tests never need a display.
Each function takes plain arrays and an output path, and returns the path."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


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
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


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
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


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
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path

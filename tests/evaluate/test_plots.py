"""t-SNE scatter plots tell every label apart: tab20 has 20 colours, so from the 21st label on the
marker shape differs where the colour repeats. The figure is caught before it is closed by
replacing `plots._save`, so the test reads the drawn artists (and imports no matplotlib)."""
import numpy as np
import pytest

from animeid.evaluate import plots


@pytest.fixture
def drawn(monkeypatch, tmp_path):
    figures = []

    def keep(plt, fig, path):
        figures.append(fig)
        return path

    monkeypatch.setattr(plots, "_save", keep)
    return figures


def _styles(ax):
    """(RGBA colour, marker outline) of each label's scatter collection."""
    out = []
    for coll in ax.collections:
        colour = tuple(np.round(coll.get_facecolor()[0], 4))
        outline = np.round(coll.get_paths()[0].vertices, 4).tobytes()
        out.append((colour, outline))
    return out


def _points(rng, n_labels, per=3, dims=2):
    labels = [f"label{i:02d}" for i in range(n_labels) for _ in range(per)]
    return rng.normal(size=(len(labels), dims)), labels


def test_25_labels_get_25_distinct_colour_and_marker_pairs(drawn, rng, tmp_path):
    pts, labels = _points(rng, 25)
    plots.scatter_by_label(pts, labels, tmp_path / "t.png")
    ax = drawn[0].axes[0]
    styles = _styles(ax)
    assert len(styles) == 25 and len(set(styles)) == 25
    colours = [c for c, _ in styles]
    assert len(set(colours)) == 20  # tab20: labels 21-25 reuse colours 1-5 ...
    assert styles[20][0] == styles[0][0] and styles[20][1] != styles[0][1]  # ... with another marker
    legend = ax.get_legend()
    assert legend is not None and len(legend.get_texts()) == 25
    assert legend.get_texts()[0].get_fontsize() == 6  # small type, beside the plot


def test_3d_points_are_told_apart_too(drawn, rng, tmp_path):
    pts, labels = _points(rng, 25, dims=3)
    plots.scatter_by_label(pts, labels, tmp_path / "t.png")
    markers = [np.round(c.get_paths()[0].vertices, 4).tobytes() for c in drawn[0].axes[0].collections]
    assert len(markers) == 25 and markers[0] != markers[20] and markers[0] == markers[19]


def test_many_labels_leave_the_legend_out_and_say_so(drawn, rng, tmp_path):
    pts, labels = _points(rng, 45, per=1)
    plots.scatter_by_label(pts, labels, tmp_path / "t.png")
    fig = drawn[0]
    assert len(set(_styles(fig.axes[0]))) == 45
    assert fig.axes[0].get_legend() is None
    assert any("45 labels: no legend" in t.get_text() for t in fig.texts)


def test_label_styles_repeat_only_after_200_labels():
    styles = plots.label_styles(201)
    assert len(set(styles[:200])) == 200 and styles[200] == styles[0]
    assert plots.label_styles(3) == [("tab10", 0, "o"), ("tab10", 1, "o"), ("tab10", 2, "o")]


def test_the_png_is_written(rng, tmp_path):
    pts, labels = _points(rng, 25)
    out = plots.scatter_by_label(pts, labels, tmp_path / "t.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

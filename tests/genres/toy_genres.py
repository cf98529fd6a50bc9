"""A learnable, separable multi-label toy problem on synthetic features, and a tiny generated poster
folder (CSV + PNGs) for CLI tests, for the genre tests."""
from pathlib import Path

import numpy as np

LITE0_DIM = 1280  # efficientnet-lite0: a saved model's arrays must match its embedder's dimension

# Colour "genres" the colour-layout embedder (33-d, no weights to download) separates easily.
COLOURS = {"Action": (200, 40, 40), "Comedy": (40, 200, 40), "Drama": (40, 40, 200)}


def toy_genres(seed: int = 0, n: int = 60, d: int = 16, width: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Genre j (of 3) is present when feature j is high; every row has at least one genre. With
    `width`, the features are zero-padded to that many columns (zero columns change no prediction)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (x[:, :3] > 0.6).astype(np.uint8)
    y[y.sum(axis=1) == 0, 0] = 1
    x[:, :3] += 2.0 * y
    if width is not None and width > d:
        x = np.concatenate([x, np.zeros((n, width - d), dtype=np.float32)], axis=1)
    return x, y


def write_png(path: Path, rgb, seed: int, size: tuple[int, int] = (48, 32)) -> Path:
    """A noisy single-colour image (h x w), different bytes for every seed."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    img = np.clip(rng.normal(rgb, 25, (*size, 3)), 0, 255).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(path)
    return path


def poster_folder(folder: Path, per_genre: int = 5, name: str = "posters.csv") -> Path:
    """`per_genre` posters of each colour genre (every third also Comedy, so rows are multi-label)
    under folder/images, listed in folder/<name>; returns the list's path."""
    rows = ["image,title,genres"]
    k = 0
    for genre, rgb in COLOURS.items():
        for i in range(per_genre):
            write_png(folder / "images" / f"{genre.lower()}{i}.png", rgb, seed=k)
            extra = "|Comedy" if genre != "Comedy" and i % 3 == 0 else ""
            rows.append(f"images/{genre.lower()}{i}.png,{genre} {i},{genre}{extra}")
            k += 1
    (folder / name).write_text("\n".join(rows) + "\n")
    return folder / name


def unlabelled_folder(folder: Path, n: int = 4) -> Path:
    for i in range(n):
        rgb = list(COLOURS.values())[i % len(COLOURS)]
        write_png(folder / f"u{i}.png", rgb, seed=100 + i)
    return folder

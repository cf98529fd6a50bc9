"""Labelled image folders (`DATA/<class>/*.jpg`, or `DATA/{train,test}/<class>/*.jpg`) checked
before any training starts: a run that dies an hour in on a bad class is the failure to avoid."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from animeid.errors import AnimeidError, BadImage
from animeid.media.images import list_images, load_image


@dataclass
class LabelledImages:
    paths: list[Path]
    labels: np.ndarray  # int64 class index per path
    classes: list[str]

    def __len__(self) -> int:
        return len(self.paths)

    def subset(self, idx) -> "LabelledImages":
        idx = np.asarray(idx, dtype=np.int64)
        return LabelledImages([self.paths[i] for i in idx], self.labels[idx], self.classes)


def split_folder(data: Path, split: str) -> Path | None:
    """`DATA/<split>` when the dataset has splits; `DATA` itself stands for the train split."""
    data = Path(data)
    if data.exists() and not data.is_dir():  # "no such folder" misled: the file is right there
        raise AnimeidError(f"{data}: a file, not a dataset folder (DATA/<class>/ or DATA/train/<class>/)")
    if not data.is_dir():
        raise AnimeidError(f"{data}: no such dataset folder")
    if (data / split).is_dir():
        return data / split
    if split == "train" and not (data / "test").is_dir():
        return data
    return None


def scan_labelled_folder(folder: Path, classes: list[str] | None = None, min_per_class: int = 2) -> LabelledImages:
    """Paths and labels of `folder/<class>/*`; `classes` fixes the label order (e.g. the train one)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise AnimeidError(f"{folder}: no such folder")
    found = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    names = classes if classes is not None else [p.name for p in found]
    paths, labels = [], []
    for p in found:
        if p.name not in names:
            raise AnimeidError(f"{p}: class {p.name!r} is not among the training classes")
        files = list_images(p)
        if len(files) < min_per_class:
            raise AnimeidError(f"{p}: class {p.name!r} has {len(files)} image(s); at least {min_per_class} are needed")
        paths += files
        labels += [names.index(p.name)] * len(files)
    if not paths:
        raise AnimeidError(f"{folder}: empty split (no <class>/<image> files)")
    if classes is None and len(names) < 2:
        raise AnimeidError(f"{folder}: {len(names)} class folder(s); training needs at least 2")
    return LabelledImages(paths, np.asarray(labels, dtype=np.int64), list(names))


def load_rgb_images(data: LabelledImages) -> tuple[list[np.ndarray], LabelledImages]:
    """Decode every image; corrupt ones are reported on stderr and left out."""
    images = []
    return images, _decodable(data, images.append)


def readable_images(data: LabelledImages) -> LabelledImages:
    """The images that decode, each corrupt one reported on stderr: a list written for other tools
    (the pairs CSV) would otherwise hand them a file that training itself skips. The pixels are
    not kept: a CSV needs only the paths."""
    return _decodable(data, lambda image: None)


def _decodable(data: LabelledImages, take) -> LabelledImages:
    """`data` without the images that do not decode (each reported on stderr); every decoded
    image goes to `take`, in order."""
    keep = []
    for i, p in enumerate(data.paths):
        try:
            take(load_image(p))
            keep.append(i)
        except BadImage as exc:
            print(f"animeid: warning: skipping {exc}", file=sys.stderr)
    return _check_after_skipping(data, keep)


def _check_after_skipping(data: LabelledImages, keep: list[int]) -> LabelledImages:
    kept = data.subset(keep)
    counts = np.bincount(kept.labels, minlength=len(kept.classes))
    if len(kept) == 0:
        raise AnimeidError("no readable image in the dataset")
    small = [kept.classes[c] for c in np.unique(data.labels) if counts[c] < 2]
    if small:
        raise AnimeidError(f"after skipping unreadable images, class(es) {', '.join(small)} have fewer than 2 images")
    return kept


def stratified_holdout(labels: np.ndarray, fraction: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(train, val) indices taking `fraction` of every class for validation, while leaving at least
    two images of each class in train (one-image classes cannot form a positive pair)."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_val = min(int(round(len(idx) * fraction)), max(0, len(idx) - 2))
        val += list(idx[:n_val])
        train += list(idx[n_val:])
    return np.sort(np.asarray(train, dtype=np.int64)), np.sort(np.asarray(val, dtype=np.int64))

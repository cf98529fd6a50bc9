"""Labelled image sets on disk: `ROOT/<label>/<images>`, optionally with a `manifest.csv`
(`image_path,label,split`) that fixes a train/val/test split, as danbooru6 ships."""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from animeid.errors import AnimeidError
from animeid.media.images import list_images

MANIFEST = "manifest.csv"
# folders that tools leave beside the label folders; any other name, dotted or not, is a label
# (".hack" is a title)
SYSTEM_FOLDERS = {".git", ".svn", ".hg", ".ipynb_checkpoints", ".cache", ".thumbnails", "__macosx",
                  "__pycache__", ".ds_store", "@eadir"}


def _system_folder(name: str) -> bool:
    return name.lower() in SYSTEM_FOLDERS or name.lower().startswith(".trash")


@dataclass
class LabelledImages:
    paths: list[Path] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.paths)

    def classes(self) -> list[str]:
        return sorted(set(self.labels))


def labelled_folder(root: Path, warn_single: bool = True) -> LabelledImages:
    """Every image of every label folder; empty label folders and stray files are reported, not
    fatal, but a root without any labelled image is an error. A single-image label matters when
    learning from the folder (no held-out fold for it), not when testing on it: `warn_single`."""
    root = Path(root)
    if not root.exists():
        raise AnimeidError(f"{root}: no such folder")
    if not root.is_dir():
        raise AnimeidError(f"{root}: not a folder (expected <label>/<images> sub-folders)")
    out = LabelledImages()
    stray = list_images(root)
    if stray:
        out.warnings.append(f"{len(stray)} image(s) directly in {root} belong to no label folder; skipped")
    for d in sorted(p for p in root.iterdir() if p.is_dir() and not _system_folder(p.name)):
        imgs = list_images(d)
        if not imgs:
            out.warnings.append(f"label folder {d.name!r} has no images; skipped")
            continue
        if len(imgs) == 1 and warn_single:
            out.warnings.append(f"label {d.name!r} has a single image")
        out.paths.extend(imgs)
        out.labels.extend([d.name] * len(imgs))
    if not out.paths:
        raise AnimeidError(f"{root}: no labelled images (expected {root}/<label>/<images>)")
    return out


# manifest columns: danbooru6's (image_path, label, split) or `animeid dataset frames`'
# (image, title, split, status: only "kept" rows are images)
_COLUMNS = ({"image_path": "image_path", "label": "label"}, {"image_path": "image", "label": "title"})


def manifest_split(root: Path) -> tuple[LabelledImages, LabelledImages] | None:
    """(train, test) from ROOT/manifest.csv: `train` and `val` rows train, `test` rows test.
    The first path component of `image_path` may be the folder the manifest was written in, so
    paths are resolved below ROOT from the longest suffix that exists. None when there is no
    manifest."""
    path = Path(root) / MANIFEST
    if not path.exists():
        return None
    train, test = LabelledImages(), LabelledImages()
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        names = set(reader.fieldnames or ())
        columns = next((c for c in _COLUMNS if {*c.values(), "split"} <= names), None)
        if columns is None:
            raise AnimeidError(f"{path}: needs columns image_path,label,split (or image,title,split as "
                               "`animeid dataset frames` writes)")
        for raw in reader:
            if raw.get("status", "kept") != "kept":
                continue
            row = {"image_path": raw[columns["image_path"]], "label": raw[columns["label"]], "split": raw["split"]}
            parts = Path(row["image_path"]).parts
            img = next((Path(root, *parts[i:]) for i in range(len(parts)) if Path(root, *parts[i:]).exists()), None)
            if img is None:
                (test if row["split"] == "test" else train).warnings.append(f"missing {row['image_path']}")
                continue
            target = test if row["split"] == "test" else train
            target.paths.append(img)
            target.labels.append(row["label"])
    if not train.paths or not test.paths:
        raise AnimeidError(f"{path}: needs both train/val and test rows with existing images")
    return train, test

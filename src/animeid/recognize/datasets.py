"""Labelled image sets on disk: `ROOT/<label>/<images>`, optionally with a `manifest.csv`
(`image_path,label,split`) that fixes a train/val/test split, as danbooru6 ships."""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from animeid.errors import AnimeidError, BadImage
from animeid.file_names import is_text, shown
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
    if not is_text(str(root)):
        raise AnimeidError(f"{shown(str(root))}: the folder's path is not valid UTF-8; rename it")
    out = LabelledImages()
    stray = list_images(root)
    if stray:
        out.warnings.append(f"{len(stray)} image(s) directly in {root} belong to no label folder; skipped")
    for d in sorted(p for p in root.iterdir() if p.is_dir() and not _system_folder(p.name)):
        if not is_text(d.name):  # its name would be the label, which must be text
            out.warnings.append(f"label folder '{shown(d.name)}': name is not valid UTF-8; skipped "
                                "(rename it)")
            continue
        imgs = []
        for img in list_images(d):
            if is_text(img.name):
                imgs.append(img)
            else:
                out.warnings.append(f"{shown(str(img))}: file name is not valid UTF-8; skipped (rename it)")
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


def drop_unreadable(data: LabelledImages, where: Path | str) -> LabelledImages:
    """`data` without the images that do not decode, each reported the way `enroll` reports it:
    one bad file among thousands should cost its row, not the run. Checked up front because the
    splits are drawn from what is left. No readable image at all is an error naming `where`."""
    from animeid.media.images import load_image

    out = LabelledImages(warnings=list(data.warnings))
    first = None
    for path, label in zip(data.paths, data.labels):
        try:
            load_image(path, short_side=32)  # JPEGs decode at reduced scale: a cheap check
        except BadImage as exc:
            out.warnings.append(f"skipped: {exc}")
            first = first or exc
            continue
        out.paths.append(path)
        out.labels.append(label)
    if not out.paths:
        raise AnimeidError(f"{where}: no readable image; all {len(data)} failed to decode (first: {first})")
    return out


# manifest columns: danbooru6's (image_path, label, split) or `animeid dataset frames`'
# (image, title, split, status: only "kept" rows are images)
_COLUMNS = ({"image_path": "image_path", "label": "label"}, {"image_path": "image", "label": "title"})


# manifest split values, compared case-insensitively: train and val rows train, test rows test
SPLITS = {"train": "train", "val": "train", "test": "test"}


def manifest_split(root: Path) -> tuple[LabelledImages, LabelledImages] | None:
    """(train, test) from ROOT/manifest.csv: `train` and `val` rows train, `test` rows test
    (any case); any other split value is an error naming its line, since training on a row
    meant for testing (`testing`, `holdout`) would inflate every figure silently.
    The first path component of `image_path` may be the folder the manifest was written in, so
    paths are resolved below ROOT from the longest suffix that exists. None when there is no
    manifest."""
    path = Path(root) / MANIFEST
    if not path.exists():
        return None
    train, test = LabelledImages(), LabelledImages()
    for row in _manifest_rows(path):
        parts = Path(row["image_path"]).parts
        img = next((Path(root, *parts[i:]) for i in range(len(parts)) if Path(root, *parts[i:]).exists()), None)
        target = test if row["split"] == "test" else train
        if img is None:
            target.warnings.append(f"missing {row['image_path']}")
            continue
        target.paths.append(img)
        target.labels.append(row["label"])
    if not train.paths or not test.paths:
        raise AnimeidError(f"{path}: needs both train/val and test rows with existing images")
    return train, test


def _manifest_rows(path: Path) -> list[dict]:
    """{image_path, label, split} of every image row; a manifest that is not UTF-8 CSV,
    or a row without all three values, is an error naming the line: guessing the missing label
    or split would train or test on the wrong thing."""
    if path.is_dir():
        raise AnimeidError(f"{path}: is a folder; eval reads {MANIFEST} as the file that splits the images "
                           "(rename or remove that folder)")
    rows = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            names = set(reader.fieldnames or ())
            columns = next((c for c in _COLUMNS if {*c.values(), "split"} <= names), None)
            if columns is None:
                raise AnimeidError(f"{path}: needs columns image_path,label,split (or image,title,split as "
                                   "`animeid dataset frames` writes)")
            wanted = {"image_path": columns["image_path"], "label": columns["label"], "split": "split"}
            for raw in reader:
                if raw.get("status", "kept") != "kept":
                    continue
                empty = [col for col in wanted.values() if not (raw.get(col) or "").strip()]
                if empty:
                    raise AnimeidError(f"{path} line {reader.line_num}: no {' and no '.join(empty)} (each row "
                                       f"needs {','.join(wanted.values())})")
                split = raw["split"].strip().lower()
                if split not in SPLITS:
                    raise AnimeidError(f"{path} line {reader.line_num}: split {raw['split']!r} is not train, val "
                                       "or test")
                rows.append({**{key: raw[col] for key, col in wanted.items()}, "split": SPLITS[split]})
    except UnicodeDecodeError:
        raise AnimeidError(f"{path}: not UTF-8 text (save it as a UTF-8 CSV with columns "
                           "image_path,label,split)") from None
    except csv.Error as exc:
        raise AnimeidError(f"{path} line {reader.line_num}: unreadable CSV ({exc})") from None
    except OSError as exc:
        raise AnimeidError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return rows

"""`animeid dataset pairs DIR --out pairs.csv [--balanced]`: S1's make_siamese_dataset(_balanced),
for inspection and for other tools. Training itself samples pairs on the fly and needs no CSV.

label 0 = same class, 1 = different class. Without --balanced every unordered pair is written
(streamed: n(n-1)/2 rows never sit in memory); with it, every positive pair and as many uniformly
drawn negative pairs."""
from __future__ import annotations

import csv
import errno
import os
import tempfile
from pathlib import Path

import numpy as np

from animeid.errors import AnimeidError
from animeid.output_folders import give_default_mode
from animeid.train.image_folders import readable_images, scan_labelled_folder, split_folder


def _pairs(labels: np.ndarray, balanced: bool, rng: np.random.Generator):
    n = len(labels)
    if not balanced:
        for i in range(n):
            for j in range(i + 1, n):
                yield i, j, int(labels[i] != labels[j])
        return
    n_pos = 0
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        for a in range(len(idx)):
            for b in range(a + 1, len(idx)):
                n_pos += 1
                yield int(idx[a]), int(idx[b]), 0
    n_neg_total = n * (n - 1) // 2 - n_pos
    wanted = min(n_pos, n_neg_total)
    seen: set[int] = set()
    if wanted > n_neg_total // 2:
        # Dense case: enumerate the negatives and draw without replacement.
        i, j = np.triu_indices(n, k=1)
        neg = np.flatnonzero(labels[i] != labels[j])
        for k in np.sort(rng.choice(neg, size=wanted, replace=False)):
            yield int(i[k]), int(j[k]), 1
        return
    while len(seen) < wanted:
        a, b = rng.integers(0, n, size=2)
        if labels[a] == labels[b]:
            continue
        a, b = (int(a), int(b)) if a < b else (int(b), int(a))
        key = a * n + b
        if key not in seen:
            seen.add(key)
            yield a, b, 1


def write_pairs_csv(data: Path, out: Path, balanced: bool = False, seed: int = 0) -> dict:
    folder = split_folder(data, "train")
    if folder is None:
        raise AnimeidError(f"{data}: no train split (expected {data}/train/<class>/ or {data}/<class>/)")
    images = scan_labelled_folder(folder)
    out = Path(out)
    if out.resolve() in {p.resolve() for p in images.paths}:  # --force would replace a picture by the CSV
        raise AnimeidError(f"--out {out}: is one of the dataset's images; write the CSV elsewhere")
    images = readable_images(images)
    rng = np.random.default_rng(seed)
    counts = [0, 0]
    tmp = None
    try:  # a folder that cannot hold files (/proc, a full disk) fails here, not only in the writes
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".tmp", dir=out.parent)
        with os.fdopen(fd, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["image_a", "image_b", "label"])
            for i, j, y in _pairs(images.labels, balanced, rng):
                w.writerow([images.paths[i], images.paths[j], y])
                counts[y] += 1
        give_default_mode(tmp)
        os.replace(tmp, out)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise AnimeidError(f"out of disk space writing {out} ({sum(counts):,} pairs so far); "
                               "use --balanced or free space") from None
        raise AnimeidError(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return {"out": str(out), "images": len(images), "classes": len(images.classes),
            "same_class_pairs": counts[0], "different_class_pairs": counts[1]}

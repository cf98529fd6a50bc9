"""What a --db folder holds, told by its marker file, so that opening it with the wrong loader says
which one to use instead of "not an index" about the index the user just built."""
from __future__ import annotations

from pathlib import Path

# the marker each store writes first (scenes.index.CONFIG_FILE, distribute.shard_plan.PLAN_FILE,
# recognize.gallery.DB_FILE); kept here as names so that asking costs no heavy import
_MARKERS = {
    "shards.json": ("sharded", "a sharded scene index (built with --shards)",
                    "`animeid search` and `info` take it; in Python, ShardedIndex.load or animeid.open_index"),
    "index.json": ("scene", "a scene index (built by `animeid index`)",
                   "`animeid search` and `info` take it; in Python, Index.load or animeid.open_index"),
    "gallery.sqlite": ("gallery", "a gallery (built by `animeid enroll`)",
                       "`animeid identify` and `info` take it; in Python, Recognizer.load"),
}


def store_kind(folder: Path) -> tuple[str, str, str] | None:
    """("sharded" | "scene" | "gallery", what it is, what takes it), or None for anything else."""
    for marker, kind in _MARKERS.items():
        if (Path(folder) / marker).exists():
            return kind
    return None


def not_this_kind(folder: Path, wanted: str, build_hint: str) -> str:
    """The message for opening `folder` as a `wanted` store ("scene index", "gallery") when it is
    not one: what it is instead, or that nothing is there and how to build one."""
    folder = Path(folder)
    found = store_kind(folder)
    if found is not None:
        return f"{folder}: not a {wanted} but {found[1]}: {found[2]}"
    if not folder.exists():
        return f"{folder}: no such folder; {build_hint}"
    return f"{folder}: not a {wanted} (it holds none of an index's or a gallery's files); {build_hint}"

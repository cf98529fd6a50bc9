"""Which shard a video belongs to. The hash of its path inside the library decides, so every
machine agrees without talking to the others, and adding files never moves existing ones."""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from animeid.config import IndexCfg
from animeid.errors import AnimeidError
from animeid.store.store_kind import not_this_kind

PLAN_FILE = "shards.json"
MAX_SHARDS = 4096  # each shard is a folder with its own index: thousands is a typo


def shard_of(relpath: str, shards: int) -> int:
    digest = hashlib.sha1(relpath.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shards


def parse_shard(text: str) -> tuple[int, int]:
    """'3/8' -> (3, 8): shard 3 of 8, counted from 0."""
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise AnimeidError(f"--shard must look like I/N (e.g. 0/4), got {text!r}") from None
    if n < 1 or not 0 <= i < n:
        raise AnimeidError(f"--shard {text}: need 0 <= I < N")
    return i, n


def shard_folder(db: Path, shard: int) -> Path:
    return Path(db) / f"shard-{shard:03d}"


@dataclass(frozen=True)
class ShardTask:
    """One shard to build: an ordinary index of the library's files that hash to `shard`."""

    library: Path
    db: Path
    shard: int
    shards: int
    cfg: IndexCfg


def write_plan(db: Path, shards: int, embedder: str) -> None:
    """Record how many shards the folder holds; a folder is never re-split into another count."""
    db = Path(db)
    if db.exists() and not db.is_dir():
        raise AnimeidError(f"{db}: exists and is not a folder")
    plan = db / PLAN_FILE
    if plan.exists():
        stored = read_plan(db)
        if stored["shards"] != shards:   # every file's shard is its path hash modulo the count
            raise AnimeidError(f"{db}: is split into {stored['shards']} shards, not {shards}; the count cannot "
                               f"change (re-run with --shards {stored['shards']}, or index into a new --db)")
        if stored["embedder"] != embedder:
            raise AnimeidError(f"{db}: its shards were built with embedder {stored['embedder']!r}, not {embedder!r}; "
                               "use that --embedder, or index into a new --db")
        return
    # other machines may be creating their shards (or this plan) at the same moment
    if db.exists() and any(not p.name.startswith("shard") for p in db.iterdir()):
        from animeid.scenes.index import Index

        if Index.is_index(db):   # the likeliest mistake: --shards added to a re-run of a plain index
            raise AnimeidError(f"{db}: holds an index built without --shards; re-run without --shards, or "
                               "give a new --db for a sharded index")
        raise AnimeidError(f"{db}: folder is not empty and holds no shard plan; refusing to write")
    db.mkdir(parents=True, exist_ok=True)
    tmp = plan.with_suffix(".tmp")
    tmp.write_text(json.dumps({"shards": shards, "embedder": embedder}))
    os.replace(tmp, plan)


def read_plan(db: Path) -> dict:
    if not (Path(db) / PLAN_FILE).exists():
        raise AnimeidError(not_this_kind(db, "sharded index", f"build one with `animeid index LIBRARY --db {db} "
                                                              "--shards N`"))
    try:
        data = json.loads((Path(db) / PLAN_FILE).read_text())
        plan = {"shards": int(data["shards"]), "embedder": str(data["embedder"])}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AnimeidError(f"{db}: {PLAN_FILE} is missing or damaged ({exc})") from None
    if not 1 <= plan["shards"] <= MAX_SHARDS:  # a huge count had every command probe that many folders
        raise AnimeidError(f"{db}: {PLAN_FILE} is damaged (it plans {plan['shards']} shards, not 1 to {MAX_SHARDS})")
    return plan


def is_sharded(db: Path) -> bool:
    return (Path(db) / PLAN_FILE).exists()

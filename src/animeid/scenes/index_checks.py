"""Checks an index makes before it writes or searches: a factory FAISS can build and update by id,
the same embedder as the one the vectors came from, a title filter naming an indexed title, search
settings a search can use."""
from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

from animeid.config import EmbedderCfg, SearchCfg, embedder_changes
from animeid.errors import AnimeidError, IncompatibleIndex
from animeid.store.vectors import VectorIndex, faiss_reason


def check_factory(factory: str, cfg: EmbedderCfg) -> None:
    """Refuse, before anything is written, a factory string FAISS cannot build, and one whose index
    cannot add or remove vectors by id (HNSW, an IDMap of its own): those failed later, as tracebacks."""
    try:
        problem = VectorIndex(cfg.dim, factory, cfg.metric).update_problem()
    except RuntimeError as exc:
        raise AnimeidError(f"--factory {factory!r} is not a FAISS index-factory string for {cfg.dim}-d "
                           f"vectors ({faiss_reason(exc)})") from None
    if problem:
        raise AnimeidError(f"--factory {factory!r}: {problem}; an index adds vectors by id and drops those "
                           "of changed or deleted files: use Flat, SQ8, PQ<m> or IVF<n>,Flat")


def check_title(title: str | None, indexes: list) -> None:
    """A `title` filter naming no indexed title is a typo, not a search without matches."""
    if title is not None and not isinstance(title, str):   # a list reached SQLite as a binding error
        raise AnimeidError(f"title must be one title's name (a str), not {type(title).__name__}")
    if title is not None and not any(ix.store.has_title(title) for ix in indexes):
        known = sorted({t["title"] for ix in indexes for t in ix.titles()})
        shown = ", ".join(map(repr, known[:10])) + (" ..." if len(known) > 10 else "")
        raise AnimeidError(f"no title {title!r} in this index (titles: {shown or 'none'})")


def check_same_embedder(folder: Path, stored: EmbedderCfg, wanted: EmbedderCfg) -> None:
    if stored.name != wanted.name:
        raise IncompatibleIndex(f"{folder}: index was built with embedder {stored.name!r}, not {wanted.name!r}; "
                                "use another --db or the same --embedder")
    # an index that recorded no weights while this embedder has some was built by an older version
    if wanted.weights_sha256 and stored.weights_sha256 != wanted.weights_sha256:
        raise IncompatibleIndex(f"{folder}: index was built with different {stored.name} weights or version "
                                f"({stored.weights_sha256[:18] or 'none recorded'} vs {wanted.weights_sha256[:18]}); "
                                "re-index it")
    # the same weights fed otherwise (an embedder re-registered with --force and another size,
    # mean or std) give vectors the stored ones cannot be compared with, silently
    changed = [f"{field} {was!r} -> {now!r}" for field, was, now in
               embedder_changes(stored.to_dict(), wanted.to_dict(), ("input_size", "mean", "std", "dim", "metric"))]
    if changed:
        raise IncompatibleIndex(f"{folder}: index was built with embedder {stored.name!r} configured otherwise "
                                f"({'; '.join(changed)}); register it as it was, or re-index into a new --db")


def search_settings(cfg) -> SearchCfg:
    """`cfg` if it is a SearchCfg: a dict or keyword-like object failed deep inside the search."""
    if not isinstance(cfg, SearchCfg):
        raise AnimeidError(f"cfg must be a SearchCfg (from animeid import SearchCfg), not {type(cfg).__name__}; "
                           "or change settings with index.with_search(name=value)")
    return cfg


def changed_search(cfg: SearchCfg, changes: dict) -> SearchCfg:
    """`cfg` with `changes`, refused in one line when a name or value is wrong (a typo'd setting
    raised a TypeError about __init__, an out-of-range one a ValueError)."""
    known = {f.name for f in fields(SearchCfg)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise AnimeidError(f"unknown search setting(s) {', '.join(unknown)}; SearchCfg has {', '.join(sorted(known))}")
    try:
        return replace(cfg, **changes)
    except ValueError as exc:
        raise AnimeidError(str(exc)) from None

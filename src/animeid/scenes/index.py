"""A scene index on disk: one folder holding the embedder's config, the FAISS vectors, their
write-ahead log and the SQLite metadata.

    from animeid import Index
    hits = Index.load("my-index").search("screenshot.jpg")
    print(hits[0].title, hits[0].episode, hits[0].at)
"""
from __future__ import annotations

import copy
import fcntl
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from animeid.config import EmbedderCfg, ImageLimits, SearchCfg
from animeid.errors import AnimeidError, IncompatibleIndex
from animeid.media.images import ImageInput, load_image
from animeid.output_folders import refuse_dangling_links
from animeid.scenes.frame_placement import place_top_scene
from animeid.scenes.hits import SceneHit
from animeid.number_checks import check_k
from animeid.scenes.index_vectors import APPLIED_FILE, RECOVER, open_vectors, replay
from animeid.scenes.index_checks import (changed_search, check_factory, check_same_embedder, check_title,
                                         search_settings)
from animeid.scenes.refine import thumbnail
from animeid.scenes.search import search_scenes
from animeid.scenes.views import query_views
from animeid.store.metadata import MetadataStore
from animeid.store.shards import ShardLog
from animeid.store.store_kind import not_this_kind, store_kind
from animeid.store.write_lock import LOCK_FILE, take_write_lock
from animeid.store.vectors import VectorIndex

FORMAT = 1
CONFIG_FILE = "index.json"
META_DB = "meta.sqlite"
DEFAULT_FACTORY = "Flat"


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    os.replace(tmp, path)


class Index:
    """A scene index opened for searching (`Index.load`) or, by `animeid index`, for writing. Its
    vectors and entries are read from disk as they were committed; use it as a context manager, or
    `close` it, to let go of the files. Searches may run from several threads at once."""

    def __init__(self, folder: Path, embedder_cfg: EmbedderCfg, factory: str, store: MetadataStore,
                 vectors: VectorIndex, shards: ShardLog, writable: bool, lock_fd: int | None = None):
        self.folder = Path(folder)
        self.embedder_cfg = embedder_cfg
        self.factory = factory
        self.store = store
        self.vectors = vectors
        self.shards = shards
        self.writable = writable
        self._lock_fd = lock_fd
        self._embedder = None
        self.search_cfg = SearchCfg()
        self.limits = ImageLimits()
        self._data_version = store.data_version()
        # vectors removed since they were loaded (added ones are told by the log): `flush` saves
        # them only then, since rewriting every vector of a large index costs seconds
        self._removed_vectors = False
        # a `with_search` copy shares the open store: closing the copy must not close it under
        # the index it came from
        self._shares_store = False

    # --- opening ------------------------------------------------------------------------
    @classmethod
    def is_index(cls, folder: Path) -> bool:
        return (Path(folder) / CONFIG_FILE).exists()

    @classmethod
    def load(cls, folder: str | os.PathLike) -> "Index":
        """Open for searching. Entries committed by a running or killed indexer are visible."""
        folder = Path(folder)
        if not cls.is_index(folder):
            raise AnimeidError(not_this_kind(folder, "scene index", "build one with `animeid index LIBRARY --db "
                                                                    f"{folder}`"))
        cfg, factory = cls._read_config(folder)
        if not (folder / META_DB).exists():
            raise IncompatibleIndex(f"{folder}: damaged index ({META_DB} is missing); re-run `animeid index`")
        try:
            store = MetadataStore(folder / META_DB, readonly=True)
            store.count_entries()
            vectors, shards = open_vectors(folder, cfg, factory)
        except sqlite3.Error as exc:
            raise IncompatibleIndex(f"{folder}: damaged index ({META_DB}: {exc}); {RECOVER}") from None
        return cls(folder, cfg, factory, store, vectors, shards, writable=False)

    @classmethod
    def open_for_writing(cls, folder: str | os.PathLike, embedder_cfg: EmbedderCfg,
                         factory: str | None = None) -> "Index":
        """Create the index, or reopen it after checking it was built with the same embedder.
        `factory` None keeps the stored one (a new index gets `Flat`); another factory is refused
        once the index holds trained vectors, and taken while its vectors still wait for training
        (an IVF given too few frames), so that mistake can be corrected in place."""
        folder = Path(folder)
        refuse_dangling_links(folder, "--db")
        if folder.exists() and not folder.is_dir():
            raise AnimeidError(f"{folder}: exists and is not a folder")
        # the lock file alone: another `animeid index` has just created this index (it says so below)
        if folder.is_dir() and any(p.name != LOCK_FILE for p in folder.iterdir()) and not cls.is_index(folder):
            found = store_kind(folder)
            what = found[1] if found else "folder is not empty and is not an animeid index"
            raise AnimeidError(f"{folder}: {what}; refusing to write (index into another --db)")
        if factory is not None:
            check_factory(factory, embedder_cfg)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AnimeidError(f"{folder}: cannot create the index folder ({exc.strerror or exc})") from None
        lock_fd = take_write_lock(folder, "index")
        try:
            return cls._open_locked(folder, embedder_cfg, factory, lock_fd)
        except BaseException:
            fcntl.flock(lock_fd, fcntl.LOCK_UN)
            os.close(lock_fd)
            raise

    @classmethod
    def _open_locked(cls, folder: Path, embedder_cfg: EmbedderCfg, factory: str | None, lock_fd: int) -> "Index":
        if cls.is_index(folder):
            cfg, stored_factory = cls._read_config(folder)
            check_same_embedder(folder, cfg, embedder_cfg)
            if factory is not None and factory != stored_factory:
                if VectorIndex.exists(folder):
                    raise IncompatibleIndex(f"{folder}: index was built with factory {stored_factory!r}, not "
                                            f"{factory!r}; drop --factory or index into another --db")
                _write_json(folder / CONFIG_FILE, {"format": FORMAT, "embedder": cfg.to_dict(), "factory": factory})
            factory = factory or stored_factory
        else:
            cfg, factory = embedder_cfg, factory or DEFAULT_FACTORY
            _write_json(folder / CONFIG_FILE, {"format": FORMAT, "embedder": cfg.to_dict(), "factory": factory})
        try:
            store = MetadataStore(folder / META_DB)
            vectors, shards = open_vectors(folder, cfg, factory)
        except sqlite3.Error as exc:
            raise IncompatibleIndex(f"{folder}: damaged index ({META_DB}: {exc}); {RECOVER}") from None
        index = cls(folder, cfg, factory, store, vectors, shards, writable=True, lock_fd=lock_fd)
        index._reconcile()
        return index

    @classmethod
    def read_settings(cls, folder: str | os.PathLike) -> tuple[EmbedderCfg, str]:
        """(embedder config, factory string) an index was built with, without opening it."""
        return cls._read_config(Path(folder))

    @classmethod
    def read_sampling(cls, folder: str | os.PathLike) -> dict:
        """The sampling settings the index recorded (`IndexCfg` names), {} when none were."""
        path = Path(folder) / META_DB
        if not path.exists():
            return {}
        store = None
        try:
            store = MetadataStore(path, readonly=True)
            return dict(store.get_meta("sampling") or {})
        except (sqlite3.Error, ValueError) as exc:
            raise IncompatibleIndex(f"{folder}: damaged index ({META_DB}: {exc}); {RECOVER}") from None
        finally:
            if store is not None:
                store.close()

    @staticmethod
    def _read_config(folder: Path) -> tuple[EmbedderCfg, str]:
        try:
            data = json.loads((folder / CONFIG_FILE).read_text())
            return EmbedderCfg.from_dict(data["embedder"]), data["factory"]
        except (ValueError, KeyError, TypeError) as exc:
            raise IncompatibleIndex(f"{folder}: {CONFIG_FILE} is damaged ({exc}); {RECOVER}") from None

    def _reconcile(self) -> None:
        """Drop vectors whose metadata never landed (killed between the log write and the commit)."""
        known = set(self.store.entry_ids())
        orphans = [i for i in self.vectors.ids().tolist() if i not in known]
        if orphans:
            self.vectors.remove(orphans)
            self._removed_vectors = True

    def share_embedder(self, other: "Index") -> None:
        """Embed with `other`'s loaded session when both were built by the same embedder (a server
        reopening its index saves a second or two and the session's memory)."""
        if self._embedder is None and other._embedder is not None and other.embedder_cfg == self.embedder_cfg:
            self._embedder = other._embedder

    def changed_on_disk(self) -> bool:
        """Whether another process (`animeid index` re-run beside a server) committed to this index
        since it was opened: its files and entries are then no longer the ones held here."""
        try:
            return self.store.data_version() != self._data_version
        except sqlite3.Error:
            return False

    def close(self) -> None:
        """Close the store and drop the write lock. A `with_search` copy closes nothing: it lives as
        long as the index it came from."""
        if self._shares_store:
            return
        self.store.close()
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- writing ------------------------------------------------------------------------
    def append(self, file_id: int, rows: list[tuple[float, float, float, bytes | None]], vectors: np.ndarray,
               done_until: float, finished: bool) -> None:
        """One checkpoint: log the vectors, then commit their metadata; both or neither count."""
        first = self.store.next_entry_id()
        ids = np.arange(first, first + len(rows), dtype=np.int64)
        if len(rows):
            self.shards.append(ids, vectors)
        self.store.commit_entries(file_id, [(int(i), *r) for i, r in zip(ids, rows)], done_until, finished)
        if len(rows) and self.vectors.is_trained:
            self.vectors.add(vectors, ids)

    def delete_file(self, file_id: int) -> int:
        return self.delete_files([file_id])

    def delete_files(self, file_ids: list[int]) -> int:
        """Drop files and their entries; their vectors go in one pass (each pass over a Flat index
        moves every vector after the first removed one: one pass per file made dropping a few
        hundred files of a large index take minutes). Returns how many entries went."""
        if not file_ids:
            return 0
        self.vectors.check_removable()   # before the store forgets the files' entries
        ids = [i for file_id in file_ids for i in self.store.delete_file(file_id)]
        self.vectors.remove(ids)
        self._removed_vectors = True
        return len(ids)

    def flush(self) -> None:
        """Persist the FAISS index and retire the log chunks it now contains; nothing is rewritten
        when no vector was added or removed since the index was opened."""
        last = self.shards.last()
        if last <= self.shards.applied and not self._removed_vectors and VectorIndex.exists(self.folder):
            return
        if not self.vectors.is_trained:
            pending = list(self.shards.after(0))
            if not pending:
                return
            replay(self.vectors, pending)
        self.vectors.save(self.folder)
        _write_json(self.folder / APPLIED_FILE, {"seq": last})
        self.shards.drop_upto(last)
        self._removed_vectors = False

    # --- reading ------------------------------------------------------------------------
    @property
    def embedder(self):
        if self._embedder is None:
            from animeid.features.registry import create_embedder, get_embedder_cfg

            try:
                check_same_embedder(self.folder, self.embedder_cfg, get_embedder_cfg(self.embedder_cfg.name))
                self._embedder = create_embedder(self.embedder_cfg.name)
            except IncompatibleIndex:
                raise
            except AnimeidError as exc:   # the embedder is gone or damaged: the index is not at fault
                raise AnimeidError(f"{self.folder}: the embedder it was built with cannot be used ({exc})") from None
        return self._embedder

    def titles(self) -> list[dict]:
        return self.store.titles()

    def totals(self) -> dict:
        """Entries in the store and vectors in the index: equal unless a run was interrupted."""
        return {"entries": self.store.count_entries(), "vectors": self.vectors.ntotal}

    def counts(self) -> dict:
        """Cheap totals for a health check (no file listing); `ShardedIndex.counts` answers alike."""
        return {**self.totals(), "titles": len(self.titles())}

    def locate(self, entry_id: int) -> tuple["Index", int]:
        """The index holding `entry_id` and its id there: this one, as is. A `ShardedIndex` answers
        with one of its shards, so callers cutting previews treat both alike."""
        return self, entry_id

    def info(self) -> dict:
        return {"folder": str(self.folder), "embedder": self.embedder_cfg.name, "dim": self.embedder_cfg.dim,
                "metric": self.embedder_cfg.metric, "factory": self.factory, **self.totals(),
                "files": len(self.store.files()),
                "library": self.store.get_meta("library_root"), "titles": self.titles()}

    def search(self, image: ImageInput, k: int | None = None, title: str | None = None,
               cfg: SearchCfg | None = None) -> list[SceneHit]:
        """Scenes most like `image`, best first: `SceneHit`s, each with `title`, `episode` (an int,
        a float for a half episode, or None), `file` (its path in the library), `from_` / `at` / `to`
        (seconds from the container's start, as players show them: `at` is the answer, `from_` and
        `to` the scene's span), `similarity` (cosine, 0 to 1) and `to_dict()`, the object
        `animeid search --json` prints. `image` is a path, bytes, a binary file object, a PIL image
        or an RGB/grey array; `k` answers (default `search_cfg.k`), only of `title` if given; `cfg`
        replaces the index's `search_cfg` for this call. Raises BadImage for an unreadable image
        and AnimeidError for a bad argument."""
        cfg = self.search_cfg if cfg is None else search_settings(cfg)
        check_k(k, cfg.k)
        check_title(title, [self])
        query = self.prepare_query(image, cfg)
        return place_top_scene(self, self.search_query(query, k, title, cfg), query.grey, cfg, query.native)

    def prepare_query(self, image: ImageInput, cfg: SearchCfg | None = None) -> PreparedQuery:
        """Decode, trim, embed every view, and make the thumbnail: everything that does not depend on
        the stored entries, so shards of one library embed a screenshot once."""
        cfg = cfg or self.search_cfg
        native = None
        if cfg.frame_placement and cfg.exact_frame:   # before the file object below is read
            from animeid.scenes.exact_frame import native_grey_loader

            native = native_grey_loader(image, self.limits, cfg.trim_borders)
        # frames were indexed from a 256-px short side; larger uploads only cost decoding time
        img = load_image(image, self.limits, short_side=cfg.query_short_side)
        views = query_views(img, cfg)
        grey = None
        if cfg.frame_placement:
            from PIL import Image

            grey = np.asarray(Image.fromarray(views[0]).convert("L"))
        return PreparedQuery(self.embedder.embed(views), thumbnail(views[0]) if cfg.refine_time else None, grey,
                             native)

    def search_query(self, query: PreparedQuery, k: int | None = None, title: str | None = None,
                     cfg: SearchCfg | None = None) -> list[SceneHit]:
        cfg = cfg or self.search_cfg
        if not self.vectors.is_trained and self.store.count_entries():
            raise IncompatibleIndex(
                f"{self.folder}: its {self.store.count_entries()} entries wait for the {self.factory!r} index "
                "to be trained on more frames; index more video, or re-run `animeid index` with --factory Flat")
        return search_scenes(self.vectors, self.store, query.embeddings, check_k(k, cfg.k), cfg, self._similarity,
                             query.thumbnail, title)

    def _similarity(self, score: float) -> float:
        if self.embedder_cfg.metric == "cosine":
            return float(np.clip(score, 0.0, 1.0))
        # colour layout: negative squared L2 distance -> (0, 1]
        return float(1.0 / (1.0 + np.sqrt(max(-score, 0.0)) / 32.0))

    def search_clip(self, path, k: int | None = None, title: str | None = None, cfg=None):
        """Where a short clip (a video file, an animated GIF) starts, best first: a `ClipAnswer`.
        Its sampled frames are searched one by one and vote (`animeid.scenes.clip_search`)."""
        from animeid.scenes.clip_search import search_clip

        return search_clip(self, path, k, title, cfg)

    def with_search(self, **changes) -> "Index":
        """The same index (sharing its open store and vectors) with other search settings, e.g.
        `with_search(query_mirror=False)`; this one keeps its own. The copy lives as long as this
        index: closing the copy closes nothing, closing this one closes both."""
        other = copy.copy(self)
        other.search_cfg = changed_search(self.search_cfg, changes)
        other._shares_store = True
        return other

    def video_path(self, relpath: str) -> Path | None:
        root = self.store.get_meta("library_root")
        if not root:
            return None
        path = Path(root) / relpath
        return path if path.exists() else None


@dataclass(frozen=True)
class PreparedQuery:
    embeddings: np.ndarray
    thumbnail: np.ndarray | None
    # the screenshot itself (trimmed, grey), for placing the answer on its frame
    grey: np.ndarray | None = None
    # ...and at its own size, decoded when asked (`animeid.scenes.exact_frame`)
    native: Callable[[], np.ndarray | None] | None = None

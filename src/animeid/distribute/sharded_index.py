"""Search several shards of one library as one index: the screenshot is decoded and embedded once,
each shard answers from its own vectors and metadata, and the scenes are merged by similarity
(all shards use one embedder, so similarities compare). Hits carry library-wide entry ids
(`shard_ids`), and `locate` maps one back to its shard, so a server can cut previews from it."""
from __future__ import annotations

import copy
import os
from dataclasses import replace
from pathlib import Path

from animeid.config import EmbedderCfg, SearchCfg
from animeid.distribute.shard_ids import qualify, split
from animeid.distribute.shard_plan import read_plan, shard_folder
from animeid.errors import AnimeidError, IncompatibleIndex
from animeid.media.images import ImageInput
from animeid.scenes.frame_placement import place_top_scene
from animeid.scenes.hits import SceneHit
from animeid.scenes.index import Index
from animeid.number_checks import check_k
from animeid.scenes.index_checks import changed_search, check_title, search_settings


class ShardedIndex:
    """A library indexed in shards (`animeid index --shards N`, or `--shard I/N` on several
    machines), searched as one `Index`: the same `search`, `search_clip`, `with_search`, `titles`
    and `info`, answers with library-wide ids. Shards not built yet are listed in `missing`."""

    def __init__(self, folder: Path, built: dict[int, Index], planned: int):
        """`built` maps shard numbers to the shards built so far, of the `planned` ones."""
        self.folder = Path(folder)
        self._by_number = dict(sorted(built.items()))
        self.planned = planned
        self.shards = list(self._by_number.values())
        self.missing = [i for i in range(planned) if i not in self._by_number]
        # shards whose entries wait for their IVF to be trained (too few frames yet): searched as
        # empty, like a missing shard, rather than failing every search of the library
        self.untrained = [n for n, s in self._by_number.items() if not s.vectors.is_trained and s.store.count_entries()]
        self.search_cfg = SearchCfg()
        self._shares_shards = False   # a `with_search` copy: its `close` must leave the shards open

    @classmethod
    def load(cls, folder: str | os.PathLike) -> "ShardedIndex":
        """Open every shard built so far; shards not built yet are listed in `missing`."""
        folder = Path(folder)
        plan = read_plan(folder)
        built = {i: Index.load(shard_folder(folder, i)) for i in range(plan["shards"])
                 if Index.is_index(shard_folder(folder, i))}
        if not built:
            raise AnimeidError(f"{folder}: none of its {plan['shards']} shards has been built yet")
        names = {s.embedder_cfg.name for s in built.values()}
        if len(names) > 1 or plan["embedder"] not in names:
            raise IncompatibleIndex(f"{folder}: shards were built with different embedders ({', '.join(sorted(names))})")
        first_n, first = next(iter(built.items()))
        for n, shard in built.items():
            # the query is embedded once, by the first shard: every shard must share its vectors' space
            if shard.embedder_cfg != first.embedder_cfg:
                raise IncompatibleIndex(f"{shard.folder}: built with other {shard.embedder_cfg.name} settings or "
                                        f"weights than shard {first_n}; re-index this shard")
            # a shard copied into the wrong slot (or from a plan of another size) holds other files
            slot, stored = f"{n}/{plan['shards']}", shard.store.get_meta("shard")
            if shard.store.files() and stored != slot:
                raise IncompatibleIndex(f"{shard.folder}: holds shard {stored or 'all'} of a library, not {slot}; "
                                        "it was copied into the wrong place")
        return cls(folder, built, plan["shards"])

    def search(self, image: ImageInput, k: int | None = None, title: str | None = None,
               cfg: SearchCfg | None = None) -> list[SceneHit]:
        """As `Index.search`, over every shard built: the query is embedded once, each shard answers,
        and the best `k` of all come back."""
        cfg = self.search_cfg if cfg is None else search_settings(cfg)
        k = check_k(k, cfg.k)
        check_title(title, self.shards)
        ready = {n: shard for n, shard in self._by_number.items() if n not in self.untrained}
        if not ready:  # every shard waits for training: let a shard say why
            return self.shards[0].search(image, k, title, cfg)
        query = self.shards[0].prepare_query(image, cfg)
        hits = [self._qualified(h, n) for n, shard in ready.items()
                for h in shard.search_query(query, k, title, cfg)]
        # by the score each shard ranked with: re-sorting by raw similarity would undo the
        # thumbnail re-ranking that orders moments inside a file (a file lives in one shard)
        ranked = sorted(hits, key=lambda h: -h.order_key)[:k]
        return place_top_scene(self, ranked, query.grey, cfg, query.native)

    def _qualified(self, hit: SceneHit, shard: int) -> SceneHit:
        """The hit with library-wide ids: shard-local ones would name another shard's scene."""
        file_id = qualify(hit.file_id, shard, self.planned) if hit.file_id >= 0 else hit.file_id
        return replace(hit, entry_id=qualify(hit.entry_id, shard, self.planned), file_id=file_id)

    def locate(self, entry_id: int) -> tuple[Index, int] | None:
        """The shard holding `entry_id` (an id from `search`) and the entry's id inside it, or None
        when that shard is not built. Each shard resolves its own videos (`Index.video_path`):
        shards built on different machines may record different library folders."""
        if entry_id < 0:
            return None
        shard, local = split(entry_id, self.planned)
        index = self._by_number.get(shard)
        return None if index is None else (index, local)

    def search_clip(self, path, k: int | None = None, title: str | None = None, cfg=None):
        """Where a short clip (a video file, an animated GIF) starts, best first: a `ClipAnswer`.
        Its sampled frames are searched one by one and vote (`animeid.scenes.clip_search`)."""
        from animeid.scenes.clip_search import search_clip

        return search_clip(self, path, k, title, cfg)

    def with_search(self, **changes) -> "ShardedIndex":
        """As `Index.with_search`: a copy sharing the open shards, with other search settings; closing
        the copy closes nothing."""
        other = copy.copy(self)
        other.search_cfg = changed_search(self.search_cfg, changes)
        other._shares_shards = True
        return other

    def titles(self) -> list[dict]:
        merged: dict[str, dict] = {}
        for shard in self.shards:
            for t in shard.titles():
                m = merged.setdefault(t["title"], {"title": t["title"], "files": 0, "entries": 0, "seconds": 0.0})
                m["files"] += t["files"]
                m["entries"] += t["entries"] or 0
                m["seconds"] += t["seconds"] or 0.0
        return [merged[k] for k in sorted(merged)]

    @property
    def embedder_cfg(self) -> EmbedderCfg:
        return self.shards[0].embedder_cfg

    @property
    def embedder(self):
        """The embedder every query goes through (the first shard's: `load` checked they agree)."""
        return self.shards[0].embedder

    def totals(self) -> dict:
        parts = [s.totals() for s in self.shards]
        return {key: sum(p[key] for p in parts) for key in ("entries", "vectors")}

    def counts(self) -> dict:
        """Cheap totals for a health check (no file listing)."""
        return {**self.totals(), "titles": len(self.titles()), "shards": self.planned,
                "missing_shards": self.missing, "untrained_shards": self.untrained}

    def info(self) -> dict:
        first = self.shards[0]
        return {"folder": str(self.folder), "shards": self.planned,
                "missing_shards": self.missing, "untrained_shards": self.untrained,
                "embedder": first.embedder_cfg.name,
                "factory": first.factory, **self.totals(),
                "files": sum(len(s.store.files()) for s in self.shards), "titles": self.titles()}

    def changed_on_disk(self) -> bool:
        """A shard was re-indexed, or a shard not built at load time has been built since."""
        return (any(s.changed_on_disk() for s in self.shards)
                or any(Index.is_index(shard_folder(self.folder, i)) for i in self.missing))

    def close(self) -> None:
        if self._shares_shards:
            return
        for shard in self.shards:
            shard.close()

    def __enter__(self) -> "ShardedIndex":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_index(folder: str | os.PathLike):
    """An `Index`, or a `ShardedIndex` when the folder holds a shard plan."""
    from animeid.distribute.shard_plan import is_sharded

    return ShardedIndex.load(folder) if is_sharded(Path(folder)) else Index.load(folder)

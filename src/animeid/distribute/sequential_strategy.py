"""Build shards one after another in this process: the default, and what a single machine with
few cores does best (each shard's indexing already overlaps decoding and embedding)."""
from __future__ import annotations

from animeid.distribute.shard_plan import ShardTask


def build_shard(task: ShardTask, progress: bool = False):
    from animeid.scenes.indexer import index_library

    return index_library(task.library, task.db, task.cfg, progress=progress, shard=(task.shard, task.shards))


class SequentialStrategy:
    def __init__(self, progress: bool = True):
        self.progress = progress

    def run(self, tasks: list[ShardTask]) -> list:
        return [build_shard(t, self.progress) for t in tasks]

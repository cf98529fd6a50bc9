"""Build shards one after another in this process: the default, and what a single machine with
few cores does best (each shard's indexing already overlaps decoding and embedding)."""
from __future__ import annotations

from animeid.distribute.shard_failure import ShardFailure
from animeid.distribute.shard_plan import ShardTask


def build_shard(task: ShardTask, progress: bool = False):
    from animeid.scenes.indexer import index_library

    return index_library(task.library, task.db, task.cfg, progress=progress, shard=(task.shard, task.shards))


class SequentialStrategy:
    def __init__(self, progress: bool = True):
        self.progress = progress

    def run(self, tasks: list[ShardTask]) -> list:
        """One IndexReport or ShardFailure per task, in order: a failed shard does not stop the rest."""
        out = []
        for task in tasks:
            try:
                out.append(build_shard(task, self.progress))
            except Exception as exc:  # Ctrl-C (KeyboardInterrupt) still stops everything
                out.append(ShardFailure.of(task, exc))
        return out

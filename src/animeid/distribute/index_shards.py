"""The indexing stage for a sharded library: plan the shards, hand them to a strategy, sum up."""
from __future__ import annotations

from pathlib import Path

from animeid.config import IndexCfg
from animeid.distribute.sequential_strategy import SequentialStrategy
from animeid.distribute.shard_failure import ShardFailure, ShardsFailed
from animeid.distribute.shard_plan import ShardTask, shard_folder, write_plan
from animeid.output_folders import refuse_dangling_links


def index_shards(library: Path, db: Path, cfg: IndexCfg, shards: int, strategy=None,
                 only: int | None = None) -> list:
    """Build (or bring up to date) every shard of `library` under `db`, or just shard `only`.
    Returns one IndexReport per shard, in shard order; when any shard failed, raises ShardsFailed
    after the others were built, holding their reports too."""
    if shards < 1:
        raise ValueError("shards must be at least 1")
    from animeid.features.registry import get_embedder_cfg
    from animeid.scenes.index_checks import check_factory

    refuse_dangling_links(db, "--db")
    embedder_cfg = get_embedder_cfg(cfg.embedder)  # a typo must not be written into the plan
    if cfg.factory is not None:
        check_factory(cfg.factory, embedder_cfg)
    write_plan(db, shards, cfg.embedder)
    wanted = range(shards) if only is None else [only]
    tasks = [ShardTask(Path(library), shard_folder(db, i), i, shards, cfg) for i in wanted]
    from animeid.scenes.indexer import check_same_library_before_writing

    for task in tasks:   # a library check is the whole library's: no shard changes if one refuses
        check_same_library_before_writing(task.library, task.db, cfg, (task.shard, task.shards))
    outcomes = (strategy or SequentialStrategy()).run(tasks)
    failures = [o for o in outcomes if isinstance(o, ShardFailure)]
    if failures:
        raise ShardsFailed([o for o in outcomes if not isinstance(o, ShardFailure)], failures)
    return outcomes

"""How a failed shard is reported when the others go on: a worker process that dies takes only its
own shard with it, and a bug inside a shard still shows its type and traceback."""
from __future__ import annotations

import os

from animeid.config import IndexCfg
from animeid.distribute.process_pool_strategy import ProcessPoolStrategy
from animeid.distribute.shard_failure import ShardFailure
from animeid.distribute.shard_plan import ShardTask, shard_folder, shard_of, write_plan
from animeid.scenes.index import Index

FILES = ["Alpha/Alpha - 01.mp4", "Alpha/Alpha - 02.mp4", "Beta/[Grp] Beta S01E03 [720p].mkv"]


class _DiesInTheWorker:
    """Stands for a shard's settings; unpickling it in the worker ends that process at once, as the
    OOM killer or a crash in a decoder would."""

    def __reduce__(self):
        return os._exit, (3,)


def test_a_worker_that_dies_fails_only_its_own_shard(scene_library, tmp_path):
    """Until 2026-11-25 a dead worker broke the pool and every shard not finished by then was
    reported failed with the same 'terminated abruptly' message, the innocent ones too."""
    db = tmp_path / "db"
    write_plan(db, 2, IndexCfg().embedder)
    tasks = [ShardTask(scene_library, shard_folder(db, 0), 0, 2, _DiesInTheWorker()),
             ShardTask(scene_library, shard_folder(db, 1), 1, 2, IndexCfg())]
    failure, report = ProcessPoolStrategy(2).run(tasks)
    assert not isinstance(report, ShardFailure), report
    assert sorted(report.added) == sorted(f for f in FILES if shard_of(f, 2) == 1)
    assert isinstance(failure, ShardFailure) and (failure.shard, failure.shards) == (0, 2)
    assert "worker process died" in failure.error
    assert {f.path for f in Index.load(shard_folder(db, 1)).store.files()} == set(report.added)


def test_a_bug_in_one_shard_keeps_its_type_and_traceback(scene_library, tmp_path, monkeypatch, capsys):
    """Until 2026-11-25 a KeyError in a shard read 'animeid: error: shard 1/2: 'boom'' and nothing
    else, while errors.py promises that bugs, unlike bad inputs, still show a traceback."""
    import animeid.scenes.indexer as indexer
    from animeid.cli.main import main

    real = indexer.index_library

    def buggy(*args, shard=None, **kwargs):
        if shard == (1, 2):
            raise KeyError("boom")
        return real(*args, shard=shard, **kwargs)

    monkeypatch.setattr(indexer, "index_library", buggy)
    code = main(["index", str(scene_library), "--db", str(tmp_path / "db"), "--shards", "2", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.rstrip().endswith("animeid: error: shard 1/2: KeyError: 'boom'")
    assert "Traceback (most recent call last)" in err and "in buggy" in err
    assert Index.is_index(shard_folder(tmp_path / "db", 0))    # the other shard was built

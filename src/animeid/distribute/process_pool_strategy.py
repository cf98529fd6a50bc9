"""Build shards in parallel local processes. Any object with `run(tasks) -> reports` is a strategy:
one that submits each `ShardTask` to a batch scheduler or to other machines (each running
`animeid index LIBRARY --db DB --shard I/N`) plugs in the same way."""
from __future__ import annotations

from animeid.distribute.sequential_strategy import build_shard
from animeid.distribute.shard_plan import ShardTask


class ProcessPoolStrategy:
    def __init__(self, workers: int, threads_per_worker: int = 1):
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self.threads_per_worker = threads_per_worker

    def run(self, tasks: list[ShardTask]) -> list:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        # spawn, not fork: the parent may hold ONNX Runtime and decoder threads
        with ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"),
                                 initializer=_limit_threads, initargs=(self.threads_per_worker,)) as pool:
            return list(pool.map(build_shard, tasks))


def _limit_threads(n: int) -> None:
    import os

    os.environ["ANIMEID_THREADS"] = str(n)

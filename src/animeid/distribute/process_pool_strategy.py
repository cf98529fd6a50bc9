"""Build shards in parallel local processes. Any object with `run(tasks)` returning one IndexReport
or ShardFailure per task is a strategy: one that submits each `ShardTask` to a batch scheduler or
to other machines (each running `animeid index LIBRARY --db DB --shard I/N`) plugs in the same
way."""
from __future__ import annotations

from animeid.distribute.sequential_strategy import build_shard
from animeid.distribute.shard_failure import ShardFailure
from animeid.distribute.shard_plan import ShardTask

_DIED = "its worker process died (killed, out of memory, or crashed)"


class ProcessPoolStrategy:
    def __init__(self, workers: int, threads_per_worker: int = 1):
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self.threads_per_worker = threads_per_worker

    def run(self, tasks: list[ShardTask]) -> list:
        """One IndexReport or ShardFailure per task, in order: a failed shard does not stop the rest.

        A worker that dies (the OOM killer, a crash in a decoder) breaks the whole pool: every shard
        not finished by then fails with it, the innocent ones too, and nothing tells which one it
        was. So those shards are built again one at a time, each in a fresh pool of its own (they
        resume from their checkpoints): only a shard whose own worker dies again is a failure."""
        outcomes = self._run(tasks, self.workers)
        for i, task in enumerate(tasks):
            if outcomes[i] is _BROKEN:
                (outcomes[i],) = self._run([task], 1)
                if outcomes[i] is _BROKEN:
                    outcomes[i] = ShardFailure(task.shard, task.shards, _DIED)
        return outcomes

    def _run(self, tasks: list[ShardTask], workers: int) -> list:
        """`run` in one pool, a task whose pool broke under it standing as `_BROKEN`."""
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        import os

        # spawn, not fork: the parent may hold ONNX Runtime and decoder threads
        pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_start_worker,
                                   initargs=(self.threads_per_worker, os.getpid()))
        try:
            futures = []
            for task in tasks:
                try:
                    futures.append(pool.submit(build_shard, task))
                except BrokenProcessPool:  # a worker died while the rest were still being handed out
                    futures.append(None)
            reports = [_outcome(task, future) for task, future in zip(tasks, futures)]
        except BaseException:
            # Ctrl-C: stop the other workers now (an interrupted shard resumes from its
            # checkpoints next time, as after kill -9) instead of leaving them running
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        return reports


_BROKEN = object()


def _outcome(task: ShardTask, future):
    """The task's report, its ShardFailure, or `_BROKEN` when its pool broke (`future` None: it
    broke before the task was handed out)."""
    from concurrent.futures.process import BrokenProcessPool

    if future is None:
        return _BROKEN
    try:
        return future.result()
    except BrokenProcessPool:
        return _BROKEN
    except Exception as exc:
        return ShardFailure.of(task, exc)


def _start_worker(threads: int, parent: int) -> None:
    """Limit the worker's threads, leave Ctrl-C to the parent (which stops the pool; a traceback
    per worker says nothing more), and exit when the parent is gone (killed with SIGTERM or -9)
    rather than finish a shard nobody waits for while holding its write lock."""
    import os
    import signal
    import threading
    import time

    os.environ["ANIMEID_THREADS"] = str(threads)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # tqdm guards its bars with a multiprocessing lock, a named semaphore the parent's resource
    # tracker records; a worker stopped by Ctrl-C never releases it, and the tracker then warns of
    # "leaked semaphore objects" after the one-line message. A worker's bars need a thread lock only.
    from tqdm import tqdm

    tqdm.set_lock(threading.RLock())

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="animeid-parent-watch").start()

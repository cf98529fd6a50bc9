"""A bounded worker pool. A request takes a ticket once its upload has arrived (reading it is
bounded by a deadline and a memory budget, see `uploads` and `body_limit`, so a client trickling
its body never holds a ticket); at most `workers + queue_limit` requests hold one, running or
waiting, and a burst beyond that is turned away at once with 503 + Retry-After instead of piling
up work the server cannot finish."""
from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Callable, TypeVar

T = TypeVar("T")


class ServerBusy(Exception):
    """Every worker is busy and the waiting line is full."""


class WorkerPool:
    def __init__(self, workers: int, queue_limit: int):
        self.workers = workers
        self.capacity = workers + queue_limit
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="animeid-worker")
        self._lock = threading.Lock()
        self._admitted = 0
        self.peak_admitted = 0
        self.rejected = 0

    @property
    def admitted(self) -> int:
        return self._admitted

    @asynccontextmanager
    async def ticket(self):
        """Hold a place (running or waiting) for the whole request; raises ServerBusy when full."""
        with self._lock:
            if self._admitted >= self.capacity:
                self.rejected += 1
                raise ServerBusy(f"server busy: {self.capacity} requests already running or queued")
            self._admitted += 1
            self.peak_admitted = max(self.peak_admitted, self._admitted)
        try:
            yield self
        finally:
            with self._lock:
                self._admitted -= 1

    async def run(self, fn: Callable[..., T], *args) -> T:
        """Run blocking CPU work on a worker thread (waits in FIFO order when all are busy)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args))

    def stats(self) -> dict:
        return {"workers": self.workers, "capacity": self.capacity, "in_flight": self._admitted,
                "peak_in_flight": self.peak_admitted, "rejected": self.rejected}

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

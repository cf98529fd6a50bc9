"""The worker pool runs at most `workers` jobs at once and turns away requests past its capacity."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest

from animeid.service.worker_pool import ServerBusy, WorkerPool


def test_capacity_is_workers_plus_queue_and_tickets_are_returned():
    async def scenario():
        pool = WorkerPool(workers=2, queue_limit=1)
        async with pool.ticket(), pool.ticket(), pool.ticket():
            assert pool.admitted == 3
            with pytest.raises(ServerBusy, match="3 requests"):
                async with pool.ticket():
                    pass
        assert pool.admitted == 0
        async with pool.ticket():  # room again
            pass
        stats = pool.stats()
        pool.shutdown()
        return stats

    stats = asyncio.run(scenario())
    assert stats["capacity"] == 3 and stats["rejected"] == 1 and stats["peak_in_flight"] == 3


def test_no_more_than_workers_jobs_run_at_once():
    running, peak = 0, 0
    lock = threading.Lock()

    def job():
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return 1

    async def scenario():
        pool = WorkerPool(workers=2, queue_limit=10)
        out = await asyncio.gather(*(pool.run(job) for _ in range(8)))
        pool.shutdown()
        return out

    assert asyncio.run(scenario()) == [1] * 8
    assert peak == 2

"""Reading the stores (SQLite, an index reopened after `animeid index` committed) can take a while
on a large library; it must not stall the server's event loop, or every other client waits."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from animeid.service.app import create_app
from animeid.service.backends import Backends


def test_a_slow_store_read_does_not_stall_other_requests(live_server, make_settings):
    settings = make_settings()
    backends = Backends(settings)
    entered, release = threading.Event(), threading.Event()
    titles = backends.titles

    def slow_titles():
        entered.set()
        release.wait(20)
        return titles()

    backends.titles = slow_titles
    with live_server(create_app(settings, backends)) as server, ThreadPoolExecutor(1) as ex:
        pending = ex.submit(httpx.get, f"{server.url}/titles", timeout=30)
        assert entered.wait(10)
        try:
            # while /titles is stuck in its store read, the loop still answers
            health = httpx.get(f"{server.url}/health", timeout=5)
            page = httpx.get(f"{server.url}/", timeout=5)
        finally:
            release.set()
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert page.status_code == 200
        assert pending.result().status_code == 200
        assert {t["title"] for t in pending.result().json()["titles"]} == {"Alpha", "Beta"}

"""The service behind a real uvicorn on a loopback port: bursts queue or are turned away with 503
(never crash), a chunked upload past the limit is cut off with 413, and `animeid serve` starts."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from animeid.service.app import create_app
from animeid.service.backends import Backends


def test_search_over_a_real_socket(live_server, make_settings, alpha2_jpeg):
    with live_server(create_app(make_settings())) as server:
        r = httpx.post(f"{server.url}/search?k=2", files={"image": ("a.jpg", alpha2_jpeg, "image/jpeg")}, timeout=30)
        assert r.status_code == 200
        best = r.json()["results"][0]
        assert (best["title"], best["episode"]) == ("Alpha", 2)
        assert best["thumbnail"].startswith(server.url)
        thumb = httpx.get(best["thumbnail"], timeout=30)
        assert thumb.status_code == 200 and thumb.content[:2] == b"\xff\xd8"


def test_burst_beyond_capacity_gets_503_with_retry_after(live_server, make_settings, alpha2_jpeg):
    settings = make_settings(workers=1, queue_limit=2)
    backends = Backends(settings)
    real_search = backends.search

    def slow_search(*args):
        time.sleep(0.3)
        return real_search(*args)

    backends.search = slow_search
    with live_server(create_app(settings, backends)) as server:
        def post(_):
            r = httpx.post(f"{server.url}/search?k=1", content=alpha2_jpeg, timeout=60)
            return r.status_code, r.headers.get("retry-after"), r.json()

        with ThreadPoolExecutor(12) as ex:
            answers = list(ex.map(post, range(12)))
        codes = [c for c, _, _ in answers]
        assert set(codes) <= {200, 503}
        assert codes.count(200) >= 3 and codes.count(503) >= 1
        assert all(ra == "1" and "busy" in body["error"] for c, ra, body in answers if c == 503)
        stats = httpx.get(f"{server.url}/health").json()["pool"]
        assert stats["peak_in_flight"] == 3 and stats["rejected"] == codes.count(503) and stats["in_flight"] == 0
        # once the burst is over the server answers normally again
        assert httpx.post(f"{server.url}/search?k=1", content=alpha2_jpeg, timeout=60).status_code == 200


def test_chunked_upload_past_the_limit_is_cut_off(live_server, make_settings):
    with live_server(create_app(make_settings(max_upload_bytes=64 * 1024))) as server:
        def chunks():
            for _ in range(4):
                yield b"\0" * (32 * 1024)

        try:
            r = httpx.post(f"{server.url}/search", content=chunks(), timeout=30)
        except httpx.TransportError:  # the server may close before the client has sent everything
            return
        assert r.status_code == 413 and "limit" in r.json()["error"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("db_fixture", ["scene_db", "sharded_scene_db"])
def test_animeid_serve_command_starts_and_answers(db_fixture, request):
    db = request.getfixturevalue(db_fixture)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "animeid.cli.main", "serve", "--db", str(db),
                             "--port", str(port), "--log-level", "warning"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).json()
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"server did not start: {proc.stdout.read()}")
                time.sleep(0.2)
        assert health["index"]["titles"] == 2 and health["capabilities"]["search"] is True
        # on loopback it answers only to loopback names: a rebound name is refused (test_host_check.py)
        rebound = httpx.get(f"http://127.0.0.1:{port}/health", headers={"Host": "attacker.example:80"}, timeout=5)
        assert rebound.status_code == 400 and "DNS rebinding" in rebound.json()["error"]
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_animeid_serve_refuses_a_missing_index(tmp_path):
    r = subprocess.run([sys.executable, "-m", "animeid.cli.main", "serve", "--db", str(tmp_path / "none")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [f"animeid: error: {tmp_path / 'none'}: no such index folder"]

"""Slow clients against a real uvicorn: an upload that trickles in holds no worker ticket and is
answered 408 once `upload_timeout_s` has passed, so others are served meanwhile; and the budget
of upload bytes held in memory (`BodyLimit`) turns a burst of large uploads away with 503."""
from __future__ import annotations

import asyncio
import json
import re
import select
import socket
import time

import httpx

from animeid.service.app import create_app
from animeid.service.body_limit import BodyLimit


def _slow_client(url: str, declared: int = 100_000) -> socket.socket:
    """Sends the headers of an upload of `declared` bytes, then only 3 of them."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=20)
    sock.sendall(f"POST /search HTTP/1.1\r\nHost: {host}\r\nContent-Type: image/jpeg\r\n"
                 f"Content-Length: {declared}\r\n\r\nabc".encode())
    return sock


def _read_response(sock: socket.socket) -> tuple[int, dict, dict]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed without an answer: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    while len(body) < int(headers["content-length"]):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, json.loads(body)


def test_slow_uploads_hold_no_worker_and_end_in_408(live_server, make_settings, alpha2_jpeg):
    # capacity 2: four trickling clients held every ticket (and got everyone else a 503) before
    settings = make_settings(workers=1, queue_limit=1, upload_timeout_s=4.0)
    with live_server(create_app(settings)) as server:
        slow = [_slow_client(server.url) for _ in range(4)]
        try:
            time.sleep(0.3)
            for _ in range(3):
                r = httpx.post(f"{server.url}/search?k=1", content=alpha2_jpeg, timeout=30)
                assert r.status_code == 200, r.text
                assert r.json()["results"][0]["title"] == "Alpha"
            # ...answered while every slow upload still hangs, unanswered
            assert select.select(slow, [], [], 0)[0] == []
            started = time.monotonic()
            for sock in slow:
                status, headers, body = _read_response(sock)
                assert status == 408 and body["status"] == 408
                assert "did not arrive within 4 s" in body["error"]
                assert headers["content-type"].startswith("application/json")
                assert headers.get("connection") == "close"
            assert time.monotonic() - started < 10
        finally:
            for sock in slow:
                sock.close()
        pool = httpx.get(f"{server.url}/health").json()["pool"]
        assert pool["rejected"] == 0 and pool["in_flight"] == 0


def test_upload_timeout_is_a_setting(make_settings):
    assert make_settings().upload_timeout_s == 30.0
    assert make_settings(upload_timeout_s=5).upload_timeout_s == 5.0


def _run_asgi(app, requests: list[bytes]) -> list[dict]:
    """Run the requests concurrently through `app` (ASGI); each answer's status and JSON body."""

    async def one(body: bytes) -> dict:
        sent: list[dict] = []
        chunks = [body[:len(body) // 2], body[len(body) // 2:]]

        async def receive():
            await asyncio.sleep(0.01)
            chunk = chunks.pop(0) if chunks else b""
            return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/", "headers": [(b"content-length", b"%d" % len(body))]}
        await app(scope, receive, send)
        start = next(m for m in sent if m["type"] == "http.response.start")
        payload = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return {"status": start["status"], "headers": dict(start["headers"]), "body": json.loads(payload)}

    async def all_of():
        return await asyncio.gather(*(one(b) for b in requests))

    return asyncio.run(all_of())


def test_bytes_held_by_uploads_are_budgeted():
    async def app(scope, receive, send):
        """Reads the whole body, keeps it while 'working', answers its length."""
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await asyncio.sleep(0.2)
        payload = json.dumps({"got": len(body)}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": payload})

    limited = BodyLimit(app, max_bytes=1000, max_held_bytes=2500)
    answers = _run_asgi(limited, [b"x" * 1000] * 3)
    assert sorted(a["status"] for a in answers) == [200, 200, 503]
    busy = next(a for a in answers if a["status"] == 503)
    assert "busy" in busy["body"]["error"] and busy["headers"][b"retry-after"] == b"1"
    assert limited.held == 0                        # everything given back once answered
    assert [a["status"] for a in _run_asgi(limited, [b"x" * 1000] * 2)] == [200, 200]


def test_a_busy_answer_says_how_much_is_held_in_units_that_fit():
    """With a small limit the budget is a few KB: "0 MB of uploads already in memory" was false."""
    async def app(scope, receive, send):
        while (await receive()).get("more_body"):
            pass
        await asyncio.sleep(0.2)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    limited = BodyLimit(app, max_bytes=4096, max_held_bytes=6144)
    answers = _run_asgi(limited, [b"x" * 4096] * 3)
    busy = [a["body"]["error"] for a in answers if a["status"] == 503]
    pattern = r"server busy: [1-9][0-9.]* KB of uploads already in memory"
    assert busy and all(re.fullmatch(pattern, e) for e in busy), busy

"""Half-open connections against a real uvicorn: a connection that has not completed its request
head within `header_timeout_s` is closed (with a JSON 408 when part of a head came), for its first
request and for each next one on a keep-alive connection; a request whose head arrived is never
cut by it. Without the deadline ~260 such connections filled uvicorn's connection cap and every
other client got its plain-text 503 for as long as they stayed open."""
from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

from animeid.errors import AnimeidError
from animeid.service.app import create_app
from animeid.service.backends import Backends

DEADLINE_S = 0.5


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=5)


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes; socket.timeout (a failure) if it never does."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def _read_one_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length"))
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def _is_json_408(reply: bytes) -> None:
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), reply
    assert b"content-type: application/json" in head.lower()
    assert json.loads(body) == {"error": f"the request head did not arrive within {DEADLINE_S:g} s; the "
                                         "connection is closed", "status": 408}


def test_an_unfinished_request_head_is_closed_after_the_deadline(live_server, make_settings):
    with live_server(create_app(make_settings(header_timeout_s=DEADLINE_S))) as server:
        started = time.monotonic()
        partial, silent = _connect(server.url), _connect(server.url)
        try:
            partial.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")   # ...and never the blank line
            _is_json_408(_read_until_closed(partial))
            assert _read_until_closed(silent) == b""                  # sent nothing: closed quietly
        finally:
            partial.close()
            silent.close()
        assert time.monotonic() - started < 3
        assert httpx.get(f"{server.url}/health", timeout=10).status_code == 200


def test_the_deadline_is_rearmed_for_each_keep_alive_request(live_server, make_settings):
    """uvicorn's keep-alive timer is cancelled by the first byte of the next request: a partial
    second head held the connection for ever."""
    with live_server(create_app(make_settings(header_timeout_s=DEADLINE_S))) as server:
        sock = _connect(server.url)
        try:
            for _ in range(2):    # served one after the other on one connection, each within the deadline
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                assert _read_one_response(sock).startswith(b"HTTP/1.1 200 ")
                time.sleep(DEADLINE_S * 0.6)
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            _is_json_408(_read_until_closed(sock))
        finally:
            sock.close()


def test_a_request_whose_head_arrived_is_not_cut_by_the_deadline(live_server, make_settings, alpha2_jpeg):
    """The body has its own deadline (`upload_timeout_s`) and the work none: a body sent slowly
    and a search that takes longer than the head deadline are both answered."""
    settings = make_settings(header_timeout_s=DEADLINE_S)
    backends = Backends(settings)
    real_search = backends.search

    def slow_search(*args):
        time.sleep(DEADLINE_S * 2)
        return real_search(*args)

    backends.search = slow_search
    with live_server(create_app(settings, backends)) as server:
        sock = _connect(server.url)
        try:
            sock.sendall(b"POST /search?k=1 HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(alpha2_jpeg) + alpha2_jpeg[:100])
            time.sleep(DEADLINE_S * 2)
            sock.sendall(alpha2_jpeg[100:])
            reply = _read_one_response(sock)
        finally:
            sock.close()
        assert reply.startswith(b"HTTP/1.1 200 "), reply[:300]
        assert json.loads(reply.partition(b"\r\n\r\n")[2])["results"][0]["title"] == "Alpha"


def test_the_deadline_is_a_checked_setting(make_settings):
    assert make_settings().header_timeout_s == 10.0
    with pytest.raises(AnimeidError, match="header_timeout_s must be at least 0.1"):
        make_settings(header_timeout_s=0)

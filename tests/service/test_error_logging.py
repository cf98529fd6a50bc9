"""What the server log says, behind a real uvicorn: a client that drops its upload is one line, not
a traceback that looks like a server bug; a real bug is logged once, with its traceback, not a
second time by uvicorn's "Exception in ASGI application"."""
from __future__ import annotations

import logging
import socket
import time
from contextlib import contextmanager

import httpx

from animeid.service.app import create_app
from animeid.service.backends import Backends

LOGGERS = ("animeid.service", "uvicorn.error")


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _server_log():
    """Records of the service's and uvicorn's loggers (attached once uvicorn configured its logging)."""
    handler = _Records()
    for name in LOGGERS:
        logging.getLogger(name).addHandler(handler)
    try:
        yield handler.records
    finally:
        for name in LOGGERS:
            logging.getLogger(name).removeHandler(handler)


def _settle(records: list, timeout: float = 5.0) -> list[logging.LogRecord]:
    """The records once some have come and no more follow for a moment."""
    deadline = time.monotonic() + timeout
    while not records and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    return list(records)


def test_a_client_dropping_its_upload_is_one_line_not_a_traceback(live_server, make_settings):
    with live_server(create_app(make_settings())) as server, _server_log() as records:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(b"POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
                         b"Content-Length: 1000\r\n\r\n" + b"x" * 10)
            time.sleep(0.2)
        logged = _settle(records)
        assert httpx.get(f"{server.url}/health").status_code == 200
    assert len(logged) == 1, [r.getMessage() for r in logged]
    line = logged[0]
    assert line.exc_info is None and line.levelno == logging.WARNING
    assert line.getMessage() == "POST /search: the client closed the connection before its upload arrived"


def test_a_real_bug_is_logged_once_with_its_traceback(live_server, make_settings, alpha2_jpeg):
    settings = make_settings()
    backends = Backends(settings)

    def broken(*args):
        raise KeyError("internal detail")

    backends.search = broken
    with live_server(create_app(settings, backends)) as server, _server_log() as records:
        r = httpx.post(f"{server.url}/search", content=alpha2_jpeg, timeout=30)
        logged = _settle(records)
    assert r.status_code == 500 and r.json() == {"error": "internal error (KeyError); see the server log",
                                                 "status": 500}
    with_traceback = [x for x in logged if x.exc_info]
    assert len(with_traceback) == 1, [x.getMessage() for x in logged]
    assert with_traceback[0].getMessage() == "unexpected error on POST /search"
    assert with_traceback[0].exc_info[0] is KeyError

"""A deadline on reading each request's head (request line and headers). uvicorn has none: a
connection that sends part of a head and then nothing stays open for ever, and a few hundred of
them fill uvicorn's `limit_concurrency`, after which every other client gets its 503.

The deadline runs from the moment a connection opens, and again once each response is complete
(a keep-alive connection waiting for its next request: uvicorn's own keep-alive timer is
cancelled by the first byte of that request, so a partial head would hold it for ever). It stops
when a request's headers are complete: the body has its own deadline (`upload_timeout_s`) and the
work none. A connection past it is closed, with a one-line JSON 408 when part of a head had
arrived, and silently when nothing had (an idle connection: a client reusing it just then would
take the 408 for the answer to its request)."""
from __future__ import annotations

import asyncio
import json

from uvicorn.protocols.http.auto import AutoHTTPProtocol


def with_header_deadline(seconds: float, base: type[asyncio.Protocol] = AutoHTTPProtocol) -> type[asyncio.Protocol]:
    """`base`, uvicorn's HTTP protocol (h11 or httptools, whichever uvicorn picks), closing a
    connection whose request head has not fully arrived within `seconds` (`header_timeout_s`);
    for `uvicorn.Config(http=...)`."""
    body = json.dumps({"error": f"the request head did not arrive within {seconds:g} s; the connection "
                                "is closed", "status": 408}).encode()
    timeout_response = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
                        b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body)) + body

    class HeaderDeadline(base):
        def connection_made(self, transport) -> None:
            self._head_timer: asyncio.TimerHandle | None = None
            self._head_started = False
            super().connection_made(transport)
            self._await_head()

        def data_received(self, data: bytes) -> None:
            if self._head_timer is not None:
                self._head_started = True
            super().data_received(data)
            if self._request_under_way():
                self._stop_waiting()

        def on_response_complete(self) -> None:
            # uvicorn's cycles call this; it may start a pipelined request already received
            super().on_response_complete()
            if not self.transport.is_closing() and not self._request_under_way():
                self._await_head()

        def connection_lost(self, exc) -> None:
            self._stop_waiting()
            super().connection_lost(exc)

        def _request_under_way(self) -> bool:
            """A request's head has arrived and its response is not complete; or the connection was
            handed to another protocol (a WebSocket upgrade)."""
            cycle = self.cycle
            return (cycle is not None and not cycle.response_complete) or self.transport.get_protocol() is not self

        def _await_head(self) -> None:
            self._stop_waiting()
            self._head_started = False
            self._head_timer = self.loop.call_later(seconds, self._head_too_slow)

        def _stop_waiting(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_too_slow(self) -> None:
            self._head_timer = None
            if self.transport.is_closing():
                return
            if self._head_started:
                self.transport.write(timeout_response)
            self.transport.close()

    HeaderDeadline.__name__ = HeaderDeadline.__qualname__ = f"HeaderDeadline{base.__name__}"
    return HeaderDeadline

"""Upload limits enforced on the raw ASGI stream, before any route sees a byte.

* Size: a declared Content-Length over the limit is refused before a byte is read, and a chunked
  upload is cut off as soon as it passes the limit, so a client can never make the server buffer
  more than the limit.
* Memory: the bytes actually received by requests still in flight are counted together, and an
  upload that would take the total past `max_held_bytes` is turned away (503 + Retry-After).
  Uploads are read before a request queues for a worker (so a client trickling its body cannot
  hold a worker ticket), and this budget is what keeps a burst of large uploads from buffering
  without bound; a slow client holds only what it has sent, so it cannot starve the others."""
from __future__ import annotations

import json

from animeid.service.response_start import ResponseStart
from animeid.service.settings import MB
from animeid.service.worker_pool import ServerBusy


def size_text(n: int) -> str:
    """`n` bytes for a person: "25 MB", "1.5 MB", "64 KB". Whole megabytes said "0 MB" of a small
    limit or of the few KB a small budget holds."""
    if n < 1024:
        return f"{n} bytes"
    value, unit = (n / MB, "MB") if n >= MB else (n / 1024, "KB")
    shown = f"{value:.1f}".removesuffix(".0") if value < 10 else f"{value:.0f}"
    return f"{shown} {unit}"


class BodyTooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(f"upload larger than the {size_text(limit)} limit")
        self.limit = limit


class BodyLimit:
    def __init__(self, app, max_bytes: int, max_held_bytes: int | None = None):
        self.app = app
        self.max_bytes = max_bytes
        self.max_held_bytes = max_held_bytes
        # Bytes received by requests not yet answered. ASGI calls run on one event loop: no lock.
        self.held = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await _refuse(send, 413, str(BodyTooLarge(self.max_bytes)))
        seen = mine = 0   # bytes received; of them, counted in `held`
        response_start = ResponseStart(send)

        async def limited_receive():
            nonlocal seen, mine
            message = await receive()
            if message["type"] == "http.request":
                chunk = len(message.get("body", b""))
                seen += chunk
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
                if self.max_held_bytes is not None and self.held + chunk > self.max_held_bytes:
                    raise ServerBusy(f"server busy: {size_text(self.held)} of uploads already in memory")
                self.held += chunk
                mine += chunk
            return message

        try:
            await self.app(scope, limited_receive, response_start)
        except BodyTooLarge as exc:
            if not response_start.started:
                await _refuse(send, 413, str(exc))
        except ServerBusy as exc:
            if not response_start.started:
                await _refuse(send, 503, str(exc), [(b"retry-after", b"1")])
        finally:
            self.held -= mine


async def _refuse(send, status: int, message: str, headers: list | None = None) -> None:
    body = json.dumps({"error": message, "status": status}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})

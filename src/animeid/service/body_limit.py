"""Upload size limit enforced on the raw ASGI stream: a declared Content-Length over the limit is
refused before a byte is read, and a chunked upload is cut off as soon as it passes the limit, so
a client can never make the server buffer more than the limit."""
from __future__ import annotations

import json


class BodyTooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(f"upload larger than the {limit // (1024 * 1024)} MB limit")
        self.limit = limit


class BodyLimit:
    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await _refuse(send, BodyTooLarge(self.max_bytes))
        seen = 0
        started = False

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge as exc:
            if not started:
                await _refuse(send, exc)


async def _refuse(send, exc: BodyTooLarge) -> None:
    body = json.dumps({"error": str(exc), "status": 413}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})

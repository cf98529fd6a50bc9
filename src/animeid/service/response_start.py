"""Whether an ASGI response has started: once its status line is sent, an error can no longer be
answered as one, so the middlewares that answer errors themselves must know."""
from __future__ import annotations


class ResponseStart:
    """`send` for the wrapped app, noting in `started` when the response's start goes out."""

    def __init__(self, send):
        self.send = send
        self.started = False

    async def __call__(self, message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)

"""Which Host names a server on a loopback address answers to.

A web page on any site can make the visitor's browser send requests to a name the page's owner
controls, then point that name at 127.0.0.1 (DNS rebinding): the browser treats the answers as
the page's own, and the page can use the local server (search with `?url=` local paths, read the
gallery's labels). Such requests carry the attacker's name in their Host header; a local server
that answers only to loopback names refuses them. A server on a public address is reachable
anyway, so only loopback servers check."""
from __future__ import annotations

from animeid.service.http_errors import error_response

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def host_name(header: str) -> str:
    """The name of a Host header without its port: "localhost:8000" -> "localhost",
    "[::1]:8000" -> "::1"; lower case, without a trailing dot."""
    header = header.strip()
    if header.startswith("["):
        name = header[1:header.find("]")] if "]" in header else header[1:]
    elif header.count(":") == 1:
        name = header.rsplit(":", 1)[0]
    else:
        name = header
    return name.lower().rstrip(".")


def is_allowed(name: str, extra: frozenset[str]) -> bool:
    # *.localhost is loopback by definition (RFC 6761), and browsers resolve it so themselves
    return name in LOOPBACK_NAMES or name.endswith(".localhost") or name in extra


class LoopbackHostOnly:
    """ASGI middleware answering 400 to a request whose Host is not a loopback name or one of
    `allowed_hosts` (a reverse proxy passing its public name)."""

    def __init__(self, app, allowed_hosts: tuple[str, ...] = ()):
        self.app = app
        self.extra = frozenset(host_name(h) for h in allowed_hosts)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            raw = headers.get(b"host", b"").decode("latin-1")
            name = host_name(raw)
            if not is_allowed(name, self.extra):
                shown = raw[:100] if raw else "(none)"
                response = error_response(
                    400, f"Host {shown!r} is not served: this server listens on a loopback address and answers "
                         "only to localhost names (a guard against DNS rebinding); add the name to "
                         "allowed_hosts in the service config to serve it behind a proxy")
                return await response(scope, receive, send)
        return await self.app(scope, receive, send)

"""Expiring preview links, as trace.moe gives them: `?t=...&expires=...&token=...` where the token
is an HMAC of everything the link asks for. A link cannot be widened (another id, a longer span, a
later expiry) without the server's secret, so previews of indexed videos are not an open file server."""
from __future__ import annotations

import hashlib
import hmac
import time


def _message(entry_id: int, kind: str, t: float, t_from: float, t_to: float, expires: int) -> bytes:
    return f"{int(entry_id)}|{kind}|{t:.3f}|{t_from:.3f}|{t_to:.3f}|{int(expires)}".encode()


def sign(secret: str, entry_id: int, kind: str, t: float, t_from: float, t_to: float, expires: int) -> str:
    mac = hmac.new(secret.encode(), _message(entry_id, kind, t, t_from, t_to, expires), hashlib.sha256)
    return mac.hexdigest()[:32]


def signed_query(secret: str, entry_id: int, kind: str, t: float, t_from: float, t_to: float,
                 ttl_s: int, now: float | None = None) -> str:
    expires = int((time.time() if now is None else now) + ttl_s)
    token = sign(secret, entry_id, kind, t, t_from, t_to, expires)
    return f"t={t:.3f}&from={t_from:.3f}&to={t_to:.3f}&expires={expires}&token={token}"


def check(secret: str, entry_id: int, kind: str, t: float, t_from: float, t_to: float, expires: int,
          token: str, now: float | None = None) -> str | None:
    """None when the link is good, else the reason it is refused."""
    if int(expires) < (time.time() if now is None else now):
        return "preview link expired; search again for a fresh one"
    expected = sign(secret, entry_id, kind, t, t_from, t_to, expires)
    # as bytes: `compare_digest` raises TypeError on a str that is not ASCII (`token=%C3%A9`)
    given = str(token).encode("utf-8", "replace")
    if not hmac.compare_digest(expected.encode(), given):
        return "preview link token is invalid"
    return None

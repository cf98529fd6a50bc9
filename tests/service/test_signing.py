"""Expiring preview links: a signature covers every parameter and the expiry."""
from __future__ import annotations

from urllib.parse import parse_qs

from animeid.service import signing

SECRET = "s3cret"


def _params(query: str) -> dict:
    return {k: v[0] for k, v in parse_qs(query).items()}


def test_signed_query_round_trips_and_carries_the_expiry():
    q = _params(signing.signed_query(SECRET, 7, "video", 12.5, 11.0, 14.25, ttl_s=60, now=1000.0))
    assert q["t"] == "12.500" and q["from"] == "11.000" and q["to"] == "14.250" and q["expires"] == "1060"
    assert signing.check(SECRET, 7, "video", float(q["t"]), float(q["from"]), float(q["to"]), int(q["expires"]),
                         q["token"], now=1059.0) is None


def test_expired_tampered_or_other_secret_links_are_refused():
    q = _params(signing.signed_query(SECRET, 7, "video", 12.5, 11.0, 14.25, ttl_s=60, now=1000.0))
    args = (7, "video", 12.5, 11.0, 14.25, int(q["expires"]), q["token"])
    assert "expired" in signing.check(SECRET, *args, now=1061.0)
    assert "invalid" in signing.check(SECRET, 8, *args[1:], now=1000.0)            # another scene
    assert "invalid" in signing.check(SECRET, 7, "thumbnail", *args[2:], now=1000.0)  # another kind
    assert "invalid" in signing.check(SECRET, 7, "video", 12.5, 0.0, 60.0, *args[5:], now=1000.0)  # widened span
    assert "invalid" in signing.check(SECRET, 7, "video", 12.5, 11.0, 14.25, 99999, q["token"], now=1000.0)
    assert "invalid" in signing.check("other", *args, now=1000.0)


def test_token_is_hmac_sha256_of_the_canonical_message():
    import hashlib
    import hmac

    expected = hmac.new(b"k", b"3|thumbnail|1.000|0.500|2.000|50", hashlib.sha256).hexdigest()[:32]
    assert signing.sign("k", 3, "thumbnail", 1.0, 0.5, 2.0, 50) == expected


def test_a_non_ascii_token_is_refused_as_invalid():
    """`hmac.compare_digest` raises TypeError on a non-ASCII str: `token=%C3%A9` was a 500."""
    for token in ("é", "\udcff", "ü" * 32, ""):
        assert signing.check(SECRET, 7, "video", 1.0, 1.0, 1.0, 2000, token, now=1000.0) == \
            "preview link token is invalid"

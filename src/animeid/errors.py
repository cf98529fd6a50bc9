"""One exception family, so the CLI can turn every user mistake into a one-line message and exit 2
without ever showing a traceback, while real bugs still surface as tracebacks."""
from contextlib import contextmanager
from typing import Iterator


class AnimeidError(Exception):
    """A problem with the user's input or environment, explained in one line."""


class BadImage(AnimeidError):
    """An image that cannot be decoded (corrupt, truncated, empty, not an image, too large)."""


class BadVideo(AnimeidError):
    """A video that cannot be decoded (corrupt, truncated, unsupported codec)."""


class IncompatibleIndex(AnimeidError):
    """An index or gallery built with another embedder or an incompatible layout."""



@contextmanager
def errors_naming(internal: str, shown: str, leading_only: bool = False) -> Iterator[None]:
    """An AnimeidError raised inside whose message names `internal` (a temporary file, the
    `<N bytes>` an upload is described as) names `shown` instead: what the user gave (`-`,
    "uploaded clip"), since the internal name means nothing to them. `leading_only` renames only
    a message's leading `internal: `, for names (like `-`) that also occur in ordinary words."""
    try:
        yield
    except AnimeidError as exc:
        message = str(exc)
        if leading_only:
            if not message.startswith(f"{internal}: "):
                raise
            raise type(exc)(shown + message[len(internal):]) from None
        if internal not in message:
            raise
        raise type(exc)(message.replace(internal, shown)) from None

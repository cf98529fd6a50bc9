"""One exception family, so the CLI can turn every user mistake into a one-line message and exit 2
without ever showing a traceback, while real bugs still surface as tracebacks."""


class AnimeidError(Exception):
    """A problem with the user's input or environment, explained in one line."""


class BadImage(AnimeidError):
    """An image that cannot be decoded (corrupt, truncated, empty, not an image, too large)."""


class BadVideo(AnimeidError):
    """A video that cannot be decoded (corrupt, truncated, unsupported codec)."""


class IncompatibleIndex(AnimeidError):
    """An index or gallery built with another embedder or an incompatible layout."""

"""The genre pipeline's user-facing errors (one line each, exit 2 from the CLI)."""
from animeid.errors import AnimeidError, IncompatibleIndex


class BadPosterList(AnimeidError):
    """A POSTERS file that cannot be used: empty, unknown columns, no genres, escaping paths..."""


class IncompatibleGenreModel(IncompatibleIndex):
    """A genre model trained with another embedder (or a damaged/foreign model folder)."""

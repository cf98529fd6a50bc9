"""Genres from posters (multi-label). `GenreModel` is imported lazily so `import animeid.genres`
stays cheap for the CLI and the web service:

    from animeid.genres import GenreModel
    model = GenreModel.load("models/genres")
    model.predict("poster.jpg")  # {"genres": [{"genre", "score"}, ...], "predicted": [...]}
"""
from __future__ import annotations

__all__ = ["GenreModel", "GenreCfg"]


def __getattr__(name: str):
    if name == "GenreModel":
        from animeid.genres.genre_model import GenreModel

        return GenreModel
    if name == "GenreCfg":
        from animeid.genres.config import GenreCfg

        return GenreCfg
    raise AttributeError(name)

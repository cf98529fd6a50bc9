"""animeid: what anime is this picture from?

Nothing heavy is imported here; the public names load on first use.

    from animeid import Index
    hits = Index.load("my-index").search("screenshot.jpg")
    print(hits[0].title, hits[0].episode, hits[0].at)

`open_index` opens a plain or a sharded index alike. Every user mistake (an unreadable image, a
missing folder, a bad argument) raises `AnimeidError` or a subclass (`BadImage`, `BadVideo`,
`IncompatibleIndex`), with a one-line message.
"""
from __future__ import annotations

__version__ = "0.1.0"

_PUBLIC = {
    "Index": "animeid.scenes.index",
    "ShardedIndex": "animeid.distribute.sharded_index",
    "open_index": "animeid.distribute.sharded_index",
    "SceneHit": "animeid.scenes.hits",
    "SearchCfg": "animeid.config",
    "AnimeidError": "animeid.errors",
    "BadImage": "animeid.errors",
    "BadVideo": "animeid.errors",
    "IncompatibleIndex": "animeid.errors",
    "Recognizer": "animeid.recognize",
    "create_embedder": "animeid.features.registry",
    "list_embedders": "animeid.features.registry",
    "register_embedder": "animeid.features.registry",
}

__all__ = sorted(_PUBLIC) + ["__version__"]


def __getattr__(name: str):
    if name in _PUBLIC:
        import importlib

        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'animeid' has no attribute {name!r}")

"""What one server needs to know. Defaults live here; `animeid serve` options, the environment
(`ANIMEID_API_KEY`, `ANIMEID_PREVIEW_SECRET`) and an optional TOML file override them, so the key
that guards writes never has to appear on a command line (where `ps` would show it)."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from animeid.errors import AnimeidError

MB = 1024 * 1024


@dataclass(frozen=True)
class ServiceSettings:
    db: Path | None = None
    gallery: Path | None = None
    genre_model: Path | None = None
    # Writes (enroll, delete label) need this key; None disables writes altogether.
    api_key: str | None = None
    max_upload_bytes: int = 25 * MB
    # Threads doing CPU work (decode, embed, cut previews). ONNX Runtime already uses both cores.
    workers: int = 2
    # Requests allowed to wait for a worker; beyond it the server answers 503 at once.
    queue_limit: int = 64
    # Signed preview links stay valid this long.
    preview_ttl_s: int = 3600
    # Secret signing the preview links; random per process unless configured (links die on restart).
    preview_secret: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    preview_dir: Path | None = None
    preview_max_cache_bytes: int = 512 * MB
    thumbnail_short_side: int = 360
    clip_short_side: int = 360
    # A scene preview is the matched span padded by this, at least `clip_min_s` and at most `clip_max_s` long.
    clip_pad_s: float = 1.0
    clip_min_s: float = 3.0
    clip_max_s: float = 10.0
    max_k: int = 50
    # `?url=` may only name files below these folders; empty means any local file...
    local_url_roots: tuple[Path, ...] = ()
    # ...and only while this is on: `serve` turns it off on a non-loopback address without roots,
    # so a public server is not an oracle for which files exist on its disk.
    allow_local_paths: bool = True

    def previews_folder(self) -> Path:
        if self.preview_dir is not None:
            return Path(self.preview_dir)
        from animeid.features.cache import cache_dir

        import hashlib

        key = hashlib.sha1(str(Path(self.db).resolve() if self.db else "none").encode()).hexdigest()[:12]
        return cache_dir() / "previews" / key


_PATHS = {"db", "gallery", "genre_model", "preview_dir"}


def load_settings(config_file: Path | None = None, **overrides) -> ServiceSettings:
    """Defaults < TOML config file < environment < explicit overrides (None means 'not given')."""
    values: dict = {}
    if config_file is not None:
        values.update(_read_toml(Path(config_file)))
    if os.environ.get("ANIMEID_API_KEY"):
        values["api_key"] = os.environ["ANIMEID_API_KEY"]
    if os.environ.get("ANIMEID_PREVIEW_SECRET"):
        values["preview_secret"] = os.environ["ANIMEID_PREVIEW_SECRET"]
    values.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name for f in fields(ServiceSettings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise AnimeidError(f"unknown service setting(s): {', '.join(unknown)}")
    for key in _PATHS & set(values):
        values[key] = Path(values[key]).expanduser()
    if "local_url_roots" in values:
        values["local_url_roots"] = tuple(Path(p).expanduser().resolve() for p in values["local_url_roots"])
    settings = replace(ServiceSettings(), **values)
    _check(settings)
    return settings


def _read_toml(path: Path) -> dict:
    import tomllib

    if not path.is_file():
        raise AnimeidError(f"{path}: no such config file")
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AnimeidError(f"{path}: not valid TOML ({exc})") from None
    section = data.get("serve", data)
    if "upload_limit_mb" in section:
        section = dict(section)
        section["max_upload_bytes"] = int(float(section.pop("upload_limit_mb")) * MB)
    return dict(section)


def _check_index_folder(db: Path) -> None:
    """Refuse a folder that is neither an index nor a sharded one now, in one line, before a server
    announces itself; whether its shards open is left to loading them."""
    if not db.is_dir():
        raise AnimeidError(f"{db}: no such index folder")
    from animeid.distribute.shard_plan import PLAN_FILE, is_sharded
    from animeid.scenes.index import CONFIG_FILE, Index

    if not Index.is_index(db) and not is_sharded(db):
        raise AnimeidError(f"{db}: not an animeid index (no {CONFIG_FILE} or {PLAN_FILE}); "
                           "build one with `animeid index`")


def _check(s: ServiceSettings) -> None:
    if s.db is not None:
        _check_index_folder(Path(s.db))
    if s.genre_model is not None and not Path(s.genre_model).exists():
        raise AnimeidError(f"{s.genre_model}: no such genre model folder")
    if s.gallery is not None and Path(s.gallery).exists() and not Path(s.gallery).is_dir():
        raise AnimeidError(f"{s.gallery}: exists and is not a gallery folder")
    if s.workers < 1:
        raise AnimeidError(f"workers must be at least 1, got {s.workers}")
    if s.queue_limit < 0:
        raise AnimeidError(f"queue_limit must be >= 0, got {s.queue_limit}")
    if s.max_upload_bytes < 1024:
        raise AnimeidError(f"upload limit must be at least 1 kB, got {s.max_upload_bytes} bytes")
    if s.api_key is not None and len(s.api_key) < 8:
        raise AnimeidError("the API key must be at least 8 characters long")

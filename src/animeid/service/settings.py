"""What one server needs to know. Defaults live here; `animeid serve` options, the environment
(`ANIMEID_API_KEY`, `ANIMEID_PREVIEW_SECRET`) and an optional TOML file override them, so the key
that guards writes never has to appear on a command line (where `ps` would show it)."""
from __future__ import annotations

import math
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
    # An upload must arrive within this; a client trickling its body is answered 408 and cut off,
    # so a few slow clients cannot hold the server's connections and memory forever.
    upload_timeout_s: float = 30.0
    # A connection must complete each request's head (request line and headers, a few hundred
    # bytes) within this, or it is closed: half-open connections cannot fill uvicorn's cap on
    # connections and lock everyone out (see `header_deadline`).
    header_timeout_s: float = 10.0
    # Decoded pixels per image. Lower than the library's own cap (`ImageLimits`): a small PNG can
    # declare 60 MP and cost ~200 MB per copy while decoding; screenshots and posters are far smaller.
    max_image_pixels: int = 40_000_000
    # `?url=` may only name files below these folders; empty means any local file...
    local_url_roots: tuple[Path, ...] = ()
    # ...and only while this is on: `serve` turns it off on a non-loopback address without roots,
    # so a public server is not an oracle for which files exist on its disk.
    allow_local_paths: bool = True
    # Host names a server on a loopback address answers to besides localhost, 127.0.0.1 and [::1]
    # (a reverse proxy passing its public name). `serve` on a loopback address turns `check_host`
    # on: a page elsewhere whose name resolves to 127.0.0.1 (DNS rebinding) gets a 400.
    allowed_hosts: tuple[str, ...] = ()
    check_host: bool = False
    # Place each screenshot's best answer on its exact frame by decoding the library's video around
    # it (README, "Frame placement"): ~0.1-0.5 s of worker time per screenshot, by source size.
    frame_placement: bool = True

    def previews_folder(self) -> Path:
        if self.preview_dir is not None:
            return Path(self.preview_dir)
        from animeid.features.cache import cache_dir

        import hashlib

        key = hashlib.sha1(str(Path(self.db).resolve() if self.db else "none").encode()).hexdigest()[:12]
        return cache_dir() / "previews" / key


_PATHS = {"db", "gallery", "genre_model", "preview_dir"}
# What each setting must be: its kind and the smallest value that makes sense (None: no minimum).
_RULES: dict[str, tuple[str, float | None]] = {
    **{name: ("path", None) for name in _PATHS},
    "api_key": ("text", None), "preview_secret": ("text", None),
    "max_upload_bytes": ("int", 1024), "workers": ("int", 1), "queue_limit": ("int", 0),
    "preview_ttl_s": ("int", 1), "preview_max_cache_bytes": ("int", 0),
    "thumbnail_short_side": ("int", 16), "clip_short_side": ("int", 16),
    "clip_pad_s": ("float", 0.0), "clip_min_s": ("float", 0.1), "clip_max_s": ("float", 0.1),
    "max_k": ("int", 1), "upload_timeout_s": ("float", 0.1), "header_timeout_s": ("float", 0.1),
    "max_image_pixels": ("int", 64 * 64),
    "allowed_hosts": ("names", None), "check_host": ("bool", None),
    "local_url_roots": ("paths", None), "allow_local_paths": ("bool", None), "frame_placement": ("bool", None),
}


def load_settings(config_file: Path | None = None, **overrides) -> ServiceSettings:
    """Defaults < TOML config file < environment < explicit overrides (None means 'not given').
    Every value is checked wherever it came from, and an error names the setting and its source:
    a TOML typo must end in one line, not in a traceback when the server first uses it."""
    values: dict = {}
    origin: dict[str, str] = {}
    if config_file is not None:
        values.update(_read_toml(Path(config_file)))
        origin.update(dict.fromkeys(values, f"{config_file}: "))
    _strip_api_key(values)
    for name, var in (("api_key", "ANIMEID_API_KEY"), ("preview_secret", "ANIMEID_PREVIEW_SECRET")):
        value = os.environ.get(var, "")
        if name == "api_key":
            value = value.strip()
        if value:
            values[name], origin[name] = value, f"{var}: "
    given = {k: v for k, v in overrides.items() if v is not None}
    _strip_api_key(given)
    values.update(given)
    origin.update(dict.fromkeys(given, ""))
    known = {f.name for f in fields(ServiceSettings)}
    unknown = sorted(set(values) - known)
    if unknown:
        where = origin[unknown[0]]
        raise AnimeidError(f"{where}unknown service setting(s): {', '.join(unknown)}")
    values = {name: _checked(name, value, origin[name]) for name, value in values.items()}
    settings = replace(ServiceSettings(), **values)
    _check(settings, origin)
    return settings


def _strip_api_key(values: dict) -> None:
    """The API key without surrounding whitespace, and none at all when only whitespace is left. A
    key read from a file keeps its newline, while HTTP strips it from the header a client sends:
    every write would be refused as "wrong API key" while /health says writes are on."""
    key = values.get("api_key")
    if isinstance(key, str):
        if key.strip():
            values["api_key"] = key.strip()
        else:
            del values["api_key"]


def _checked(name: str, value, where: str):
    """`value` as the type `name` needs, or an AnimeidError naming both."""
    kind, low = _RULES[name]

    def bad(expected: str):
        return AnimeidError(f"{where}{name} must be {expected}, got {value!r}")

    if kind == "path":
        if not isinstance(value, (str, os.PathLike)) or not str(value):
            raise bad("a folder path (a string)")
        return Path(value).expanduser()
    if kind == "text":
        if not isinstance(value, str) or not value:
            raise bad("a non-empty string")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if kind == "names":
        if not isinstance(value, (list, tuple)) or not all(isinstance(n, str) and n.strip() for n in value):
            raise bad('a list of host names, e.g. ["animeid.example.org"]')
        return tuple(n.strip() for n in value)
    if kind == "paths":
        # a bare string would be iterated letter by letter: "/srv" would allow "/"
        if not isinstance(value, (list, tuple)) or not all(isinstance(p, (str, os.PathLike)) and str(p)
                                                           for p in value):
            raise bad('a list of folder paths, e.g. ["/srv/screenshots"]')
        try:
            return tuple(Path(p).expanduser().resolve() for p in value)
        except (ValueError, OSError, RuntimeError) as exc:
            raise AnimeidError(f"{where}{name}: cannot use {value!r} ({exc})") from None
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("a whole number")
        if value < low:
            raise bad(f"at least {low}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise bad("a number")
    if value < low:
        raise bad(f"at least {low}")
    return float(value)


def _read_toml(path: Path) -> dict:
    import tomllib

    if path.is_dir():  # "no such config file" misled: the folder is right there
        raise AnimeidError(f"{path}: a folder, not a config file")
    if not path.is_file():
        raise AnimeidError(f"{path}: no such config file")
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AnimeidError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise AnimeidError(f"{path}: cannot read ({exc.strerror or exc})") from None
    section = data.get("serve", data)
    if not isinstance(section, dict):
        raise AnimeidError(f"{path}: 'serve' must be a table ([serve]), got {section!r}")
    section = dict(section)
    if "upload_limit_mb" in section:
        mb = section.pop("upload_limit_mb")
        if isinstance(mb, bool) or not isinstance(mb, (int, float)) or not math.isfinite(mb) or mb * MB < 1024:
            raise AnimeidError(f"{path}: upload_limit_mb must be a number of megabytes, at least 0.001; got {mb!r}")
        section["max_upload_bytes"] = int(mb * MB)
    return section


def _check_index_folder(db: Path) -> None:
    """Refuse a folder that is neither an index nor a sharded one now, in one line, before a server
    announces itself; whether its shards open is left to loading them."""
    if not db.is_dir():
        raise AnimeidError(f"{db}: no such index folder")
    from animeid.distribute.shard_plan import PLAN_FILE
    from animeid.scenes.index import CONFIG_FILE
    from animeid.store.store_kind import store_kind

    found = store_kind(db)
    if found is not None and found[0] == "gallery":
        raise AnimeidError(f"{db}: a gallery (built by `animeid enroll`), not a scene index; serve it with "
                           f"--gallery {db}")
    if found is None:
        raise AnimeidError(f"{db}: not an animeid index (no {CONFIG_FILE} or {PLAN_FILE}); "
                           "build one with `animeid index`")


def _check(s: ServiceSettings, origin: dict[str, str]) -> None:
    """What depends on the disk or on several settings; each value's own type and range are
    already checked."""
    if s.db is not None:
        _check_index_folder(Path(s.db))
    if s.genre_model is not None and not Path(s.genre_model).exists():
        raise AnimeidError(f"{s.genre_model}: no such genre model folder")
    if s.gallery is not None and Path(s.gallery).exists() and not Path(s.gallery).is_dir():
        raise AnimeidError(f"{s.gallery}: exists and is not a gallery folder")
    if s.api_key is not None and len(s.api_key) < 8:
        raise AnimeidError(f"{origin.get('api_key', '')}the API key must be at least 8 characters long")
    if s.api_key is not None and not s.api_key.isascii():
        # headers arrive as Latin-1 bytes and were compared with the key's UTF-8: no client could match
        raise AnimeidError(f"{origin.get('api_key', '')}the API key must be ASCII (letters, digits, "
                           "punctuation): no client's header could match it")
    if s.clip_max_s < s.clip_min_s:
        where = origin.get("clip_max_s") or origin.get("clip_min_s", "")
        raise AnimeidError(f"{where}clip_max_s ({s.clip_max_s}) must be at least clip_min_s ({s.clip_min_s})")

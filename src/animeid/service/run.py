"""Run the service under uvicorn. `animeid serve` and `animeid demo` both end here."""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import replace
from pathlib import Path

from animeid.errors import AnimeidError


def serve(db: Path | str | None, host: str = "127.0.0.1", port: int = 8000, *, gallery: Path | None = None,
          genre_model: Path | None = None, config: Path | None = None, workers: int | None = None,
          queue_limit: int | None = None, upload_limit_mb: float | None = None, log_level: str = "info",
          banner: str | None = None, frame_placement: bool | None = None) -> None:
    """`banner` is printed once the port is ours and the index and models have loaded, so a port
    in use or a folder that fails to open (a sharded one with no shard built yet, say) ends in its
    error alone, not after 'serving'."""
    import uvicorn

    from animeid.service.app import create_app
    from animeid.service.settings import MB, load_settings

    settings = load_settings(config, db=db, gallery=gallery, genre_model=genre_model, workers=workers,
                             queue_limit=queue_limit, frame_placement=frame_placement,
                             max_upload_bytes=int(upload_limit_mb * MB) if upload_limit_mb else None)
    if not _is_loopback(host) and not settings.local_url_roots:
        settings = replace(settings, allow_local_paths=False)
    if _is_loopback(host):
        settings = replace(settings, check_host=True)
    sock = bind_socket(host, port)
    try:
        app = create_app(settings)
        config_ = uvicorn_config(app, settings, host=host, port=port, log_level=log_level)
        if banner:
            print(banner, flush=True)
        uvicorn.Server(config_).run(sockets=[sock])
    finally:
        sock.close()


def uvicorn_config(app, settings, **options):
    """How uvicorn runs the service (`serve`, `demo`, and the tests' live servers): a deadline on
    each request's head (`header_deadline`), and uvicorn's own cap on open connections as a second
    guard behind the worker pool's queue."""
    import uvicorn

    from animeid.service.header_deadline import with_header_deadline

    return uvicorn.Config(app, http=with_header_deadline(settings.header_timeout_s), timeout_keep_alive=10,
                          limit_concurrency=max(256, settings.workers + settings.queue_limit + 32), **options)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or an AnimeidError saying why not (in use, no such address):
    uvicorn would log the error and exit 3 after the banner had already said 'serving'."""
    # uvicorn's rule: IPv6 only for an IPv6 literal; "localhost" stays 127.0.0.1 even where the
    # resolver lists ::1 first
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        infos = socket.getaddrinfo(host, port, family=family, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:
        raise AnimeidError(f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as uvicorn does: restarts reuse the port
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise AnimeidError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

"""Run the service under uvicorn. `animeid serve` and `animeid demo` both end here."""
from __future__ import annotations

import ipaddress
from dataclasses import replace
from pathlib import Path


def serve(db: Path | str | None, host: str = "127.0.0.1", port: int = 8000, *, gallery: Path | None = None,
          genre_model: Path | None = None, config: Path | None = None, workers: int | None = None,
          queue_limit: int | None = None, upload_limit_mb: float | None = None, log_level: str = "info",
          banner: str | None = None) -> None:
    """`banner` is printed once the index and models have loaded, so a folder that fails to open
    (a sharded one with no shard built yet, say) ends in its error alone, not after 'serving'."""
    import uvicorn

    from animeid.service.app import create_app
    from animeid.service.settings import MB, load_settings

    settings = load_settings(config, db=db, gallery=gallery, genre_model=genre_model, workers=workers,
                             queue_limit=queue_limit,
                             max_upload_bytes=int(upload_limit_mb * MB) if upload_limit_mb else None)
    if not _is_loopback(host) and not settings.local_url_roots:
        settings = replace(settings, allow_local_paths=False)
    app = create_app(settings)
    if banner:
        print(banner, flush=True)
    # uvicorn's own cap on open connections is a second guard behind the worker pool's queue.
    uvicorn.run(app, host=host, port=port, log_level=log_level, timeout_keep_alive=10,
                limit_concurrency=max(256, settings.workers + settings.queue_limit + 32))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

"""`animeid serve`: the REST API and the web page, on an index you built."""
from __future__ import annotations

import argparse
from pathlib import Path


def configure_serve(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, required=True,
                   help="scene index folder from `animeid index`, sharded (--shards) or not")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--gallery", type=Path, default=None, help="character gallery folder: enables /identify, /enroll")
    p.add_argument("--genre-model", type=Path, default=None, help="genre model folder: enables /genres")
    p.add_argument("--config", type=Path, default=None,
                   help="TOML file with service settings (api_key, upload_limit_mb, workers, queue_limit, ...)")
    p.add_argument("--workers", type=int, default=None, help="worker threads for CPU work (default 2)")
    p.add_argument("--queue-limit", type=int, default=None, help="requests allowed to wait (default 64)")
    p.add_argument("--no-frames", action="store_true",
                   help="answer /search from the index alone, without decoding the library's video to place "
                        "answers on their exact frames (faster; also frame_placement = false in --config)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(func=run_serve)


def run_serve(args) -> int:
    from animeid.errors import AnimeidError

    if not 0 < args.port < 65536:
        raise AnimeidError(f"--port must be in 1-65535, got {args.port}")
    try:
        from animeid.service.run import serve
    except ImportError as exc:
        raise AnimeidError(f"the web service needs its extra: pip install 'animeid[serve]' ({exc})") from None
    from animeid.service.settings import load_settings

    frames = False if args.no_frames else None
    load_settings(args.config, db=args.db, gallery=args.gallery, genre_model=args.genre_model,
                  frame_placement=frames)  # fail early
    banner = f"animeid: serving {args.db} at http://{args.host}:{args.port}/  (API docs at /docs; Ctrl-C to stop)"
    serve(args.db, host=args.host, port=args.port, gallery=args.gallery, genre_model=args.genre_model,
          config=args.config, workers=args.workers, queue_limit=args.queue_limit, log_level=args.log_level,
          banner=banner, frame_placement=frames)
    return 0

"""The video library a speed bench runs on: the one given, else ../shared/data/video when present,
else the bundled Big Buck Bunny; with its videos and total seconds."""
from __future__ import annotations

import tempfile
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "video"


def bench_library(library: Path | None):
    from animeid.config import IndexCfg
    from animeid.media.video import probe
    from animeid.scenes.library import scan_library

    if library is None:
        if SHARED.is_dir():
            library = SHARED
        else:
            from animeid.cli.demo import build_demo_library

            library = build_demo_library(Path(tempfile.mkdtemp()), None)
    videos = scan_library(library, IndexCfg().video_extensions)
    return library, videos, sum(probe(v.path).duration for v in videos)

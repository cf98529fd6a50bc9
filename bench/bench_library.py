"""The video library a speed bench runs on: the one given, else ../shared/data/video when present,
else the bundled Big Buck Bunny; with its videos and total seconds. `encode_library` re-encodes it
at episode resolutions, since decoding cost grows with the pixel count and the development clips
are all 640x480 or smaller."""
from __future__ import annotations

import tempfile
from fractions import Fraction
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


def library_formats(videos) -> str:
    """'h264 640x480 x3, gif 480x270 x1': what the figures were measured on."""
    from collections import Counter

    from animeid.media.video import probe

    counts = Counter()
    for v in videos:
        info = probe(v.path)
        counts[f"{info.codec} {info.width}x{info.height}"] += 1
    return ", ".join(f"{k} x{n}" for k, n in counts.most_common())


def encode_library(videos, out: Path, width: int, height: int, seconds: float, fps: int = 24,
                   crf: int = 20) -> Path:
    """One H.264 (x264 veryfast, CRF `crf`, yuv420p) episode of `seconds` at width x height and `fps`,
    made by playing the library's clips one after another (and again, until long enough) at that
    frame rate; as `out/Re-encoded/Re-encoded - 01.mkv`. A stand-in for a broadcast episode: the
    pictures are the library's, the decoding work is an episode's."""
    import av

    folder = out / "Re-encoded"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "Re-encoded - 01.mkv"
    total = int(round(seconds * fps))
    written = 0
    with av.open(str(target), "w") as dst:
        stream = dst.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": str(crf)}
        while written < total:
            for v in videos:
                with av.open(str(v.path)) as src:
                    vs = src.streams.video[0]
                    step = float(vs.average_rate or fps) / fps
                    due = 0.0
                    for i, frame in enumerate(src.decode(vs)):
                        if i + 1e-9 < due:
                            continue
                        out_frame = frame.reformat(width=width, height=height, format="yuv420p")
                        out_frame.pts, out_frame.time_base = written, Fraction(1, fps)
                        for packet in stream.encode(out_frame):
                            dst.mux(packet)
                        written += 1
                        due += step
                        if written >= total:
                            break
                if written >= total:
                    break
        for packet in stream.encode():
            dst.mux(packet)
    return out

"""Scene previews cut from the indexed videos: a JPEG at the matched second and a short muted
H.264 MP4 of the matched scene (what browsers play everywhere). Both are made on first request
and cached on disk under a key that includes the video's fingerprint and its identity on disk
now (`file_identity`), so a re-encoded or replaced episode never serves a stale preview, even
before it is re-indexed; the cache is trimmed oldest-first past its size budget."""
from __future__ import annotations

import hashlib
import io
import os
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Callable

from animeid.errors import BadVideo

VIDEO_CODECS = ("libx264", "mpeg4")


def clip_span(t: float, t_from: float, t_to: float, duration: float | None, pad: float,
              min_len: float, max_len: float) -> tuple[float, float]:
    """The seconds a scene preview shows: the matched span padded, kept between min_len and
    max_len long, centred on the matched second when it must shrink, and inside the video."""
    lo, hi = min(t_from, t) - pad, max(t_to, t) + pad
    if hi - lo < min_len:
        grow = (min_len - (hi - lo)) / 2
        lo, hi = lo - grow, hi + grow
    if hi - lo > max_len:
        lo, hi = t - max_len / 2, t + max_len / 2
    if lo < 0:
        lo, hi = 0.0, hi - lo
    if duration and hi > duration:
        lo, hi = max(0.0, lo - (hi - duration)), duration
    return round(lo, 3), round(hi, 3)


def file_identity(path: Path) -> str:
    """A short digest of what one `stat` tells of the file as it is now. The fingerprint stored at
    indexing does not change when the file is overwritten; size and mtime do, and the inode and
    ctime also catch a replacement that keeps the old size and mtime (`cp -p`, `rsync -a`)."""
    st = path.stat()
    return hashlib.sha1(f"{st.st_size}-{st.st_mtime_ns}-{st.st_ino}-{st.st_ctime_ns}".encode()).hexdigest()[:12]


def thumbnail_jpeg(video: Path, t: float, short_side: int, quality: int = 85) -> bytes:
    from PIL import Image

    from animeid.media.video import frame_at

    rgb = frame_at(video, t, short_side=short_side)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def _even_size(width: int, height: int, short_side: int) -> tuple[int, int]:
    scale = min(1.0, short_side / min(width, height))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def _video_encoder() -> str:
    import av

    for name in VIDEO_CODECS:
        try:
            av.codec.Codec(name, "w")
            return name
        except Exception:  # codec missing from this PyAV build
            continue
    raise BadVideo("this PyAV build has no H.264 or MPEG-4 encoder; scene previews are unavailable")


def scene_clip_mp4(video: Path, t0: float, t1: float, short_side: int, out: Path) -> None:
    """Re-encode [t0, t1] of `video` as a small muted MP4 at `out`."""
    import av

    from animeid.media.frame_pixels import displayed_size, quarter_turns, rgb
    from animeid.media.video import decode_from, open_video, video_stream

    src = open_video(video)
    try:
        stream = video_stream(src, video)
        stream.thread_type = "AUTO"
        rate = Fraction(float(stream.average_rate or stream.guessed_rate or 12)).limit_denominator(1001)
        rate = min(rate, Fraction(30))
        codec = _video_encoder()
        with av.open(str(out), "w", format="mp4", options={"movflags": "+faststart"}) as dst:
            ost = None
            n = 0
            next_t = t0
            for ft, frame in decode_from(src, stream, t0):
                ft = next_t if ft is None else ft
                if ft + 1e-6 < next_t:
                    continue
                if ft > t1:
                    break
                if ost is None:
                    turns = quarter_turns(frame)   # a rotation in the track header: shown as players show it
                    ost = dst.add_stream(codec, rate=rate)
                    ost.width, ost.height = _even_size(*displayed_size(frame, turns), short_side)
                    ost.pix_fmt = "yuv420p"
                    if codec == "libx264":
                        ost.options = {"preset": "veryfast", "crf": "28", "tune": "animation"}
                if turns:
                    upright = rgb(frame, (ost.width, ost.height), turns)
                    out_frame = av.VideoFrame.from_ndarray(upright, format="rgb24").reformat(format="yuv420p")
                else:
                    out_frame = frame.reformat(width=ost.width, height=ost.height, format="yuv420p")
                out_frame.pts = n
                out_frame.time_base = Fraction(1) / rate
                for packet in ost.encode(out_frame):
                    dst.mux(packet)
                n += 1
                next_t = t0 + n / float(rate)
            if ost is None:
                raise BadVideo(f"{video}: no frames between {t0:.2f} and {t1:.2f} s")
            for packet in ost.encode():
                dst.mux(packet)
    finally:
        src.close()


def cached_file(folder: Path, name: str, make: Callable[[Path], None], max_bytes: int) -> Path:
    """`folder/name`, made by `make(tmp_path)` when missing; written atomically (temp + rename), so
    a crash or a concurrent request never leaves or serves half a file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if path.exists():
        os.utime(path)  # recently used: trimmed last
        return path
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=path.suffix)
    os.close(fd)
    try:
        make(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    trim_cache(folder, max_bytes, keep=path)
    return path


def trim_cache(folder: Path, max_bytes: int, keep: Path | None = None) -> int:
    """Delete least recently used previews until the folder fits in max_bytes; returns files removed."""
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".tmp-")]
    stats = {p: p.stat() for p in files}
    total = sum(s.st_size for s in stats.values())
    removed = 0
    for p in sorted(files, key=lambda p: stats[p].st_mtime):
        if total <= max_bytes:
            break
        if keep is not None and p == keep:
            continue
        try:
            p.unlink()
            total -= stats[p].st_size
            removed += 1
        except FileNotFoundError:
            pass
    return removed


"""Frame sampling with PyAV. Decoding every frame and keeping the wanted ones is ~4x faster than
seeking (keyframes are often 10 s apart), and colour conversion, the costly part, is only paid for
the frames that are kept, directly at the reduced size."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from animeid.errors import BadVideo


@dataclass(frozen=True)
class VideoInfo:
    duration: float
    fps: float
    width: int
    height: int
    codec: str


def fingerprint(path: Path, chunk: int = 1 << 16) -> str:
    """Cheap content identity: size plus head and tail bytes. Detects replaced or re-encoded files
    without reading multi-GB episodes in full."""
    path = Path(path)
    size = path.stat().st_size
    h = hashlib.sha1(str(size).encode())
    with path.open("rb") as f:
        h.update(f.read(chunk))
        if size > chunk:
            f.seek(max(chunk, size - chunk))
            h.update(f.read(chunk))
    return h.hexdigest()


def _open(path: Path):
    import av

    path = Path(path)
    if not path.exists():
        raise BadVideo(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise BadVideo(f"{path}: empty file (0 bytes)")
    try:
        container = av.open(str(path))
    except Exception as exc:
        raise BadVideo(f"{path}: not a readable video ({type(exc).__name__}: {exc})") from None
    if not container.streams.video:
        container.close()
        raise BadVideo(f"{path}: has no video stream")
    return container


def probe(path: Path) -> VideoInfo:
    container = _open(path)
    try:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or stream.guessed_rate or 0) or 0.0
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        else:
            duration = 0.0
        ctx = stream.codec_context
        return VideoInfo(duration, fps, ctx.width, ctx.height, ctx.name)
    finally:
        container.close()


def _target_size(width: int, height: int, short_side: int | None) -> tuple[int, int]:
    if not short_side or min(width, height) <= short_side:
        return width, height
    scale = short_side / min(width, height)
    # even sizes keep swscale on its fast paths
    return max(2, int(round(width * scale / 2)) * 2), max(2, int(round(height * scale / 2)) * 2)


def iter_frames(path: Path, fps: float = 2.0, short_side: int | None = 256, start: float = 0.0,
                motion_fps: float = 0.0, motion_diff: float = 0.0) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (seconds, RGB array) every 1/fps seconds, starting at `start`; with `motion_fps`, also
    between those instants (at most `motion_fps` times a second) whenever the picture has changed by
    more than `motion_diff` (mean absolute grey difference, 0-255, on a 32x18 miniature) since the
    last frame yielded.

    Fixed-rate samples miss fast action: half a second of a fight can look like nothing sampled
    around it. Every frame is decoded anyway, so watching for change costs one tiny conversion per
    candidate frame, and held drawings (most of anime) add nothing.

    The first frame whose timestamp reaches each sampling instant is kept, so timestamps are the
    frames' own presentation times, not the sampling grid.
    """
    if not np.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps must be a positive number, got {fps}")
    import av

    container = _open(path)
    step = 1.0 / fps
    motion_step = 1.0 / motion_fps if motion_fps > 0 else None
    next_t = start
    last_t = -np.inf
    last_mini = None
    decoded = 0
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        tb = float(stream.time_base) if stream.time_base else None
        size = None
        first_pts = None
        try:
            for frame in container.decode(stream):
                decoded += 1
                if frame.pts is not None and tb is not None:
                    if first_pts is None:
                        first_pts = frame.pts
                    t = (frame.pts - first_pts) * tb
                else:
                    t = frame.time if frame.time is not None else decoded / (float(stream.average_rate or 25))
                on_grid = t + 1e-6 >= next_t
                if not on_grid:
                    if motion_step is None or t < start or t - last_t + 1e-6 < motion_step or last_mini is None:
                        continue
                    mini = _miniature(frame)
                    if float(np.abs(mini - last_mini).mean()) <= motion_diff:
                        continue
                if size is None:
                    size = _target_size(frame.width, frame.height, short_side)
                rgb = frame.to_ndarray(format="rgb24", width=size[0], height=size[1])
                if motion_step is not None:
                    last_mini = mini if not on_grid else _miniature(frame)
                last_t = float(t)
                yield float(t), rgb
                if on_grid:
                    next_t = (int(t / step + 1e-6) + 1) * step
        except av.error.FFmpegError as exc:  # decoder errors only: a bug must not pass for a bad file
            if decoded == 0:
                raise BadVideo(f"{path}: cannot decode ({type(exc).__name__}: {exc})") from None
            # A truncated file: keep what decoded, as players do.
            return
        if decoded == 0:
            raise BadVideo(f"{path}: no decodable frames (corrupt or unsupported codec)")
    finally:
        container.close()


_LUMA_8BIT = frozenset({"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "yuv411p",
                        "yuv440p", "yuvj440p", "nv12", "nv21", "gray"})
_LUMA_HIGH_BIT = {"yuv420p10le": 2, "yuv422p10le": 2, "yuv444p10le": 2, "yuv420p12le": 4, "yuv422p12le": 4,
                  "yuv444p12le": 4, "gray10le": 2, "gray12le": 4}


def _miniature(frame) -> np.ndarray:
    """32x18 grey block means. For planar YUV (nearly every codec) the luma plane is read as it is:
    a swscale conversion per frame would cost more than the decoding it watches."""
    name = frame.format.name
    luma = None
    plane = frame.planes[0]
    # every 4th pixel of every 4th row is plenty to tell fast action from a held drawing
    if name in _LUMA_8BIT:
        luma = _luma_8bit(frame)[::4, ::4]
    elif name in _LUMA_HIGH_BIT:   # 10-bit anime encodes: little-endian 16-bit samples, scaled to 0-255
        shift = _LUMA_HIGH_BIT[name]
        samples = np.frombuffer(plane, "<u2").reshape(plane.height, plane.line_size // 2)
        luma = samples[::4, :plane.width:4].astype(np.float32) / (1 << shift)
    elif name in ("rgb24", "bgr24", "rgba", "bgra", "argb", "abgr"):   # GIF, PNG and other RGB codecs
        channels = 3 if name.endswith("24") else 4
        pixels = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
        pixels = pixels[::4, :plane.width * channels].reshape(-1, plane.width, channels)[:, ::4]
        colour = slice(0, 3) if name in ("rgb24", "bgr24", "rgba", "bgra") else slice(1, 4)
        luma = pixels[:, :, colour].mean(axis=2, dtype=np.float32)
    if luma is not None:
        bh, bw = luma.shape[0] // 18, luma.shape[1] // 32
        if bh and bw:
            return luma[:bh * 18, :bw * 32].reshape(18, bh, 32, bw).mean(axis=(1, 3), dtype=np.float32)
    return frame.to_ndarray(format="gray", width=32, height=18).astype(np.float32)


def decode_from(container, stream, t: float) -> Iterator[tuple[float | None, object]]:
    """(second it is shown at, or None without a timestamp; frame) of the decoded frames from the
    keyframe at or before second `t` on. Containers without an index (MPEG-TS, M2TS) seek by
    estimating a byte position and can land seconds *after* `t`, or past the last frame; when
    nothing or a frame past `t` comes first, decoding starts again from the beginning of the stream."""
    tb = float(stream.time_base)
    start_pts = stream.start_time or 0

    def seconds(frame) -> float | None:
        return (frame.pts - start_pts) * tb if frame.pts is not None else None

    container.seek(int(t / tb) + start_pts, stream=stream, backward=True, any_frame=False)
    frames = container.decode(stream)
    first = next(frames, None)
    if first is None or (first.pts is not None and seconds(first) > t + 1e-6):
        container.seek(0)   # the container's own start: a seek to the stream's first pts can overshoot too
        frames = container.decode(stream)
        first = next(frames, None)
    if first is not None:
        yield seconds(first), first
        for frame in frames:
            yield seconds(frame), frame


def frame_at(path: Path, t: float, short_side: int | None = None) -> np.ndarray:
    """The frame shown at second `t` (decoding from the nearest keyframe before it)."""
    container = _open(path)
    try:
        stream = container.streams.video[0]
        best = None
        for ft, frame in decode_from(container, stream, t):
            ft = 0.0 if ft is None else ft
            if ft > t + 1e-6 and best is not None:
                break
            best = frame
            if ft >= t - 1e-6:
                break
        if best is None:
            raise BadVideo(f"{path}: no frame at {t:.2f} s")
        w, h = _target_size(best.width, best.height, short_side)
        return best.to_ndarray(format="rgb24", width=w, height=h)
    finally:
        container.close()


def frames_at(path: Path, times: list[float], short_side: int | None = None) -> list[np.ndarray]:
    """The frames shown at each of `times` (seconds), in one decoding pass."""
    wanted = sorted(range(len(times)), key=lambda i: times[i])
    out: list[np.ndarray | None] = [None] * len(times)
    container = _open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        tb = float(stream.time_base)
        first_pts = None
        prev = None
        pos = 0
        for frame in container.decode(stream):
            if first_pts is None:
                first_pts = frame.pts or 0
            ft = (frame.pts - first_pts) * tb if frame.pts is not None else 0.0
            while pos < len(wanted) and times[wanted[pos]] < ft - 1e-6:
                src = prev if prev is not None else frame
                w, h = _target_size(src.width, src.height, short_side)
                out[wanted[pos]] = src.to_ndarray(format="rgb24", width=w, height=h)
                pos += 1
            if pos >= len(wanted):
                break
            prev = frame
        while pos < len(wanted) and prev is not None:
            w, h = _target_size(prev.width, prev.height, short_side)
            out[wanted[pos]] = prev.to_ndarray(format="rgb24", width=w, height=h)
            pos += 1
    finally:
        container.close()
    if any(o is None for o in out):
        raise BadVideo(f"{path}: could not decode frames at {times}")
    return out  # type: ignore[return-value]


def grey_frames_between(path: Path, start: float, end: float, width: int, fps: float | None = None,
                        max_decoded_pixels: float = float("inf")) -> tuple[np.ndarray, np.ndarray] | None:
    """The frames shown from second `start` to `end` (all of them, or the first to reach each
    1/`fps` instant): (times, grey frames `width` pixels wide).

    Decoding starts at the keyframe before `start`, so a long group of pictures costs more than the
    window itself; None when that would decode more than `max_decoded_pixels` (a caller asking for
    a refinement can do without it, and must not stall on a 4K episode with keyframes 10 s apart)."""
    import av

    container = _open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        times, frames, decoded = [], [], 0.0
        size = None
        next_t = start
        for t, frame in decode_from(container, stream, max(start, 0.0)):
            decoded += frame.width * frame.height
            if decoded > max_decoded_pixels:
                return None
            if t is None or t < next_t - 1e-6:
                continue
            if t > end + 1e-6:
                break
            if fps:
                next_t = start + (int((t - start) * fps + 1e-6) + 1) / fps
            if size is None:
                size = (width, max(2, int(round(frame.height * width / frame.width))))
            times.append(float(t))
            frames.append(_grey(frame, size))
    except av.error.FFmpegError:   # a truncated file still gives what decoded before the damage
        pass
    finally:
        container.close()
    if not frames:
        return None
    return np.asarray(times), np.stack(frames)


def _luma_8bit(frame) -> np.ndarray:
    """The luma plane of an 8-bit planar YUV (or grey) frame, as a view: no copy, no conversion."""
    plane = frame.planes[0]
    return np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, :plane.width]


def _grey(frame, size: tuple[int, int]) -> np.ndarray:
    """The frame's luma at `size`; planar 8-bit YUV is read as it is and box-filtered, which is
    several times cheaper than a swscale conversion of the whole frame."""
    if frame.format.name in _LUMA_8BIT:
        from PIL import Image

        luma = _luma_8bit(frame)
        # every other pixel first, while that still leaves twice the pixels wanted: a box filter
        # over a 4x smaller plane, with no visible difference at the size kept
        while luma.shape[1] >= 4 * size[0] and luma.shape[0] >= 4 * size[1]:
            luma = luma[::2, ::2]
        return np.asarray(Image.fromarray(np.ascontiguousarray(luma)).resize(size, Image.BOX))
    return frame.to_ndarray(format="gray", width=size[0], height=size[1])

"""Frame sampling with PyAV. Decoding every frame and keeping the wanted ones is ~4x faster than
seeking (keyframes are often 10 s apart), and colour conversion, the costly part, is only paid for
the frames that are kept, directly at the reduced size.

Every path counts seconds from one origin, the one players show as 0:00 (`time_origin`), shows
frames turned as players do (`frame_pixels.quarter_turns`), and decodes past a damaged spot as
players do, skipping what does not decode (`DecodeReport` says what was lost)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from animeid.errors import BadVideo
from animeid.media.frame_pixels import (displayed_size, grey, miniature, quarter_turns, rgb,
                                        target_size)
from animeid.media.video_container import (VideoInfo, decoded_origin, ffmpeg_reason, open_video, probe,
                                           time_origin, video_stream)

__all__ = ["DecodeReport", "VideoInfo", "decode_from", "fingerprint", "frame_at", "frame_times", "frames_at",
           "grey_frames_between", "iter_frames", "open_video", "probe", "time_origin", "video_stream"]

# No frame for this long (and for more than two frame intervals) past the end of the last one is
# a span the demuxer skipped: it resyncs past a damaged spot without a word. Held drawings keep
# their timestamps advancing, and MP4 and GIF give a slow variable frame rate's frames their
# durations; a Matroska file holding one picture that long at a variable rate looks the same.
GAP_S = 1.0
# This many packets in a row that do not decode, with no frame yet, is a stream FFmpeg cannot
# decode (an unsupported codec, or not the video it claims), not a damaged spot.
HOPELESS_PACKETS = 250


@dataclass
class DecodeReport:
    """What one decoding pass got and lost: the end of its last frame (seconds), packets the
    decoder refused (skipped, as players skip them; the first and last one's second), and spans
    without any frame (from, to)."""
    decoded_until: float = 0.0
    skipped_packets: int = 0
    skipped_from: float | None = None
    skipped_to: float | None = None
    gaps: list[tuple[float, float]] = field(default_factory=list)

    @property
    def damaged(self) -> bool:
        return bool(self.skipped_packets or self.gaps)

    def skipped(self, t: float | None) -> None:
        self.skipped_packets += 1
        if t is not None:
            self.skipped_from = t if self.skipped_from is None else min(self.skipped_from, t)
            self.skipped_to = t if self.skipped_to is None else max(self.skipped_to, t)

    def damage(self) -> str:
        """The damage in words ("" for none)."""
        said = []
        if self.skipped_packets:
            n = self.skipped_packets
            where = "" if self.skipped_from is None else (
                f" at {self.skipped_from:.1f} s" if self.skipped_to - self.skipped_from < 0.05
                else f" between {self.skipped_from:.1f} and {self.skipped_to:.1f} s")
            said.append(f"{n} undecodable packet{'s' if n > 1 else ''} skipped{where}")
        said += [f"no frames from {start:.1f} to {end:.1f} s" for start, end in self.gaps]
        return "; ".join(said)


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


def _timed_frames(container, stream, path, origin: float | None,
                  report: DecodeReport | None = None) -> Iterator[tuple[float | None, object]]:
    """(second shown at, from `origin` (a timestamp; None: the first frame's), or None without a
    timestamp; frame) of every frame that decodes from the container's position on. A packet the
    decoder refuses is skipped; a container that cannot be read further (truncated, an I/O error)
    ends the frames, after those the decoder still held."""
    import av

    report = report if report is not None else DecodeReport()
    tb = float(stream.time_base) if stream.time_base else None
    interval = 1.0 / float(stream.average_rate or stream.guessed_rate or 25)
    gap_s = max(GAP_S, 2 * interval)
    packets = container.demux(stream)
    failed_in_a_row = decoded = 0
    last_error = None
    shown_until = None   # the end of the latest frame so far (frames concealing damage can come out of order)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            break
        except (av.error.FFmpegError, OSError):   # nothing more can be read: what the decoder holds
            packet = None
            try:
                frames = stream.codec_context.decode(None)
            except av.error.FFmpegError:
                frames = []
        else:
            try:
                frames = packet.decode()
            except av.error.FFmpegError as exc:   # decoder errors only: a bug must not pass for damage
                pts = packet.pts if packet.pts is not None else packet.dts
                known = pts is not None and origin is not None and tb is not None
                report.skipped(max(0.0, (pts - origin) * tb) if known else shown_until)
                failed_in_a_row += 1
                last_error = exc
                if not decoded and failed_in_a_row >= HOPELESS_PACKETS:
                    break
                continue
            failed_in_a_row = 0
        for frame in frames:
            decoded += 1
            t = None
            if frame.pts is not None and tb is not None:
                if origin is None:
                    origin = frame.pts
                t = (frame.pts - origin) * tb
                t = t if t > 0.0 else 0.0
                if shown_until is not None and t - shown_until > gap_s:
                    report.gaps.append((shown_until, t))
                end = t + (frame.duration * tb if frame.duration else interval)
                if shown_until is None or end > shown_until:
                    shown_until = report.decoded_until = end
            yield t, frame
        if packet is None:
            break
    if not decoded and last_error is not None:
        raise BadVideo(f"{path}: cannot decode ({ffmpeg_reason(last_error)})")


def iter_frames(path: Path, fps: float = 2.0, short_side: int | None = 256, start: float = 0.0,
                motion_fps: float = 0.0, motion_diff: float = 0.0,
                report: DecodeReport | None = None) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (seconds, RGB array) every 1/fps seconds, starting at `start`; with `motion_fps`, also
    between those instants (at most `motion_fps` times a second) whenever the picture has changed by
    more than `motion_diff` (mean absolute grey difference, 0-255, on a 32x18 miniature) since the
    last frame yielded. `report`, when given, is filled in with how far decoding got and what
    damage it skipped.

    Fixed-rate samples miss fast action: half a second of a fight can look like nothing sampled
    around it. Every frame is decoded anyway, so watching for change costs one tiny conversion per
    candidate frame, and held drawings (most of anime) add nothing.

    The first frame whose timestamp reaches each sampling instant is kept, so timestamps are the
    frames' own presentation times, not the sampling grid.
    """
    if not np.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps must be a positive number, got {fps}")
    container = open_video(path)
    step = 1.0 / fps
    motion_step = 1.0 / motion_fps if motion_fps > 0 else None
    next_t = start
    last_t = -np.inf
    last_mini = None
    decoded = 0
    try:
        stream = video_stream(container, path)
        stream.thread_type = "AUTO"
        rate = float(stream.average_rate or 25)
        size = turns = None
        for t, frame in _timed_frames(container, stream, path, time_origin(container, stream), report):
            decoded += 1
            if t is None:
                t = decoded / rate
            on_grid = t + 1e-6 >= next_t
            if not on_grid:
                if motion_step is None or t < start or t - last_t + 1e-6 < motion_step or last_mini is None:
                    continue
                mini = miniature(frame)
                if float(np.abs(mini - last_mini).mean()) <= motion_diff:
                    continue
            if size is None:
                turns = quarter_turns(frame)
                size = target_size(*displayed_size(frame, turns), short_side)
            image = rgb(frame, size, turns)
            if motion_step is not None:
                last_mini = mini if not on_grid else miniature(frame)
            last_t = float(t)
            yield float(t), image
            if on_grid:
                next_t = (int(t / step + 1e-6) + 1) * step
        if decoded == 0:
            raise BadVideo(f"{path}: no decodable frames (corrupt or unsupported codec)")
    finally:
        container.close()


def decode_from(container, stream, t: float) -> Iterator[tuple[float | None, object]]:
    """(second it is shown at, or None without a timestamp; frame) of the decoded frames from the
    keyframe at or before second `t` on. Containers without an index (MPEG-TS, M2TS) seek by
    estimating a byte position and can land seconds *after* `t`, or past the last frame; when
    nothing or a frame past `t` comes first, decoding starts again from the beginning of the stream."""
    tb = float(stream.time_base)
    origin = decoded_origin(container, stream)
    container.seek(int(origin + t / tb), stream=stream, backward=True, any_frame=False)
    frames = _timed_frames(container, stream, container.name, origin)
    first = next(frames, None)
    if first is None or (first[0] is not None and first[0] > t + 1e-6):
        frames.close()
        container.seek(0)   # the container's own start: a seek to the stream's first pts can overshoot too
        frames = _timed_frames(container, stream, container.name, origin)
        first = next(frames, None)
    if first is not None:
        yield first
        yield from frames


def frame_at(path: Path, t: float, short_side: int | None = None) -> np.ndarray:
    """The frame shown at second `t` (decoding from the nearest keyframe before it)."""
    container = open_video(path)
    try:
        stream = video_stream(container, path)
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
        return _rgb_at(best, short_side)
    finally:
        container.close()


def _rgb_at(frame, short_side: int | None) -> np.ndarray:
    turns = quarter_turns(frame)
    return rgb(frame, target_size(*displayed_size(frame, turns), short_side), turns)


def frame_times(path: Path) -> list[float]:
    """The second every frame is shown at, counted and decoded as `iter_frames` counts and decodes
    them (frames without a timestamp left out)."""
    container = open_video(path)
    try:
        stream = video_stream(container, path)
        return [t for t, _ in _timed_frames(container, stream, path, time_origin(container, stream)) if t is not None]
    finally:
        container.close()


def frames_at(path: Path, times: list[float], short_side: int | None = None) -> list[np.ndarray]:
    """The frames shown at each of `times` (seconds), in one decoding pass."""
    wanted = sorted(range(len(times)), key=lambda i: times[i])
    out: list[np.ndarray | None] = [None] * len(times)
    container = open_video(path)
    try:
        stream = video_stream(container, path)
        stream.thread_type = "AUTO"
        prev = None
        pos = 0
        for ft, frame in _timed_frames(container, stream, path, time_origin(container, stream)):
            ft = 0.0 if ft is None else ft
            while pos < len(wanted) and times[wanted[pos]] < ft - 1e-6:
                out[wanted[pos]] = _rgb_at(prev if prev is not None else frame, short_side)
                pos += 1
            if pos >= len(wanted):
                break
            prev = frame
        while pos < len(wanted) and prev is not None:
            out[wanted[pos]] = _rgb_at(prev, short_side)
            pos += 1
    finally:
        container.close()
    if any(o is None for o in out):
        raise BadVideo(f"{path}: could not decode frames at {times}")
    return out  # type: ignore[return-value]


def grey_frames_between(path: Path, start: float, end: float, width: int, fps: float | None = None,
                        max_decoded_pixels: float = float("inf"),
                        max_height: int | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """The frames shown from second `start` to `end` (all of them, or the first to reach each
    1/`fps` instant): (times, grey frames `width` pixels wide, and at most `max_height` high:
    taller ones are squashed).

    Decoding starts at the keyframe before `start`, so a long group of pictures costs more than the
    window itself; None when that would decode more than `max_decoded_pixels` (a caller asking for
    a refinement can do without it, and must not stall on a 4K episode with keyframes 10 s apart)."""
    import av

    container = open_video(path)
    try:
        stream = video_stream(container, path)
        stream.thread_type = "AUTO"
        times, frames, decoded = [], [], 0.0
        size = turns = None
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
                turns = quarter_turns(frame)
                shown_w, shown_h = displayed_size(frame, turns)
                height = max(2, int(round(shown_h * width / shown_w)))
                size = (width, min(height, max_height) if max_height else height)
            times.append(float(t))
            frames.append(grey(frame, size, turns))
    except av.error.FFmpegError:   # a seek in a damaged file: the frames decoded so far
        pass
    finally:
        container.close()
    if not frames:
        return None
    return np.asarray(times), np.stack(frames)

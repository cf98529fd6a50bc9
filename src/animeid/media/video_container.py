"""What a video file's container says before any frame is decoded: whether it is a video at all,
which stream is the video, which timestamp players show as 0:00, and where the video ends."""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from animeid.errors import BadVideo


@dataclass(frozen=True)
class VideoInfo:
    duration: float   # seconds from the time origin (`time_origin`) to the end of the video; 0.0: unknown
    fps: float
    width: int
    height: int
    codec: str


def open_video(path: Path):
    """The opened container of a video file, or BadVideo in one line saying why it is not one."""
    import av

    path = Path(path)
    if not path.exists():
        raise BadVideo(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise BadVideo(f"{path}: empty file (0 bytes)")
    try:
        container = av.open(str(path))
    except Exception as exc:
        raise BadVideo(f"{path}: not a readable video ({ffmpeg_reason(exc)})") from None
    try:
        video_stream(container, path)
    except BadVideo:
        container.close()
        raise
    return container


def ffmpeg_reason(exc: Exception) -> str:
    """FFmpeg's reason alone: its message repeats the path and carries an errno nobody can use."""
    import av

    if isinstance(exc, av.error.InvalidDataError):
        return "invalid data; truncated or not a video?"
    reason = getattr(exc, "strerror", None) or str(exc)
    return reason[:1].lower() + reason[1:]


# FFmpeg's demuxers of single pictures: image2 (chosen by the file's extension) and the *_pipe ones
# (chosen by its bytes: a JPEG or PNG under a video's name is read as a one-frame stream)
def _is_picture_demuxer(name: str) -> bool:
    return name in ("image2", "image2pipe") or name.endswith("_pipe")


def video_stream(container, path: Path | str = "video"):
    """The container's video: its first video stream that is not an attached picture (the cover
    art of an audio file, which FFmpeg shows as a one-frame video stream)."""
    import av

    if _is_picture_demuxer(container.format.name):
        raise BadVideo(f"{path}: is a still picture, not a video")
    streams = container.streams.video
    for stream in streams:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    raise BadVideo(f"{path}: has no video stream" + (" (only a cover picture)" if streams else ""))


def time_origin(container, stream) -> float | None:
    """The timestamp (in `stream`'s time base) players show as 0:00: the container's start (that of
    its earliest stream: a video track that starts after the audio starts late), else the video
    stream's own, else None (the first decoded frame's, which the caller learns by decoding).
    The first *decoded* frame is not it: a recording cut in the middle of a group of pictures
    starts seconds before its first decodable frame, and B-frames show their first frame late."""
    if container.start_time is not None and stream.time_base:
        origin = Fraction(container.start_time, 1_000_000) / stream.time_base
        # the container's start is rounded to microseconds: a timestamp within that is the one meant
        # (MPEG-PS and TS starts at 1/90000 s would put every frame a few tenths of a microsecond off)
        return float(round(origin) if abs(origin - round(origin)) * stream.time_base < 1e-6 else origin)
    return stream.start_time


def decoded_origin(container, stream, most_packets: int = 1000) -> float:
    """`time_origin`, or when neither the container nor the stream says, the timestamp of the first
    frame that decodes (decoding up to it: the container is left past it, to be sought)."""
    origin = time_origin(container, stream)
    if origin is not None:
        return origin
    first = first_decoded_pts(container, stream, most_packets)   # a damaged first packet is skipped
    return 0 if first is None else first


def first_frame_offset(path: Path) -> float:
    """Seconds from the time origin (`time_origin`) to the first frame that decodes: 0 for nearly
    every file, more for a video track that starts after the audio or a recording cut in the middle
    of a group of pictures. Indexes built before 2026-11-25 counted a file's seconds from its first
    decoded frame: this is by how much their seconds for that file are early."""
    container = open_video(path)
    try:
        stream = video_stream(container, path)
        origin = time_origin(container, stream)
        if origin is None or not stream.time_base:
            return 0.0   # the first decoded frame is the origin, as it was
        first = first_decoded_pts(container, stream)
        return max(0.0, float((first - origin) * stream.time_base)) if first is not None else 0.0
    finally:
        container.close()


def first_decoded_pts(container, stream, most_packets: int = 1000):
    """The timestamp of the first frame that decodes, or None when none does within `most_packets`."""
    import av

    try:
        for n, packet in enumerate(container.demux(stream)):
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                frames = []
            for frame in frames:
                if frame.pts is not None:
                    return frame.pts
            if n >= most_packets:
                break
    except av.error.FFmpegError:
        pass
    return None


def video_end(container, stream) -> float | None:
    """Second (on the stream's timestamp scale, not from the origin) at which the video track ends;
    None when nothing says. The video's own end, not the container's: a track that starts late, or
    beside longer audio, is complete. Read before decoding: FFmpeg fills in a missing stream start
    from the first frames it decodes."""
    tb = stream.time_base
    if not tb:
        return None
    # a stream whose start nobody knows counts its duration from timestamp 0, as containers do
    start_s = float(stream.start_time * tb) if stream.start_time is not None else 0.0
    if stream.duration:
        return start_s + float(stream.duration * tb)
    tagged = _tagged_end(stream.metadata)
    if tagged is not None:
        return tagged
    if container.duration:
        # Matroska and most containers without per-stream durations count it from timestamp 0:
        # a video starting at 10 s of a 13 s file is 3 s long
        return container.duration / 1_000_000
    return None


_HMS = re.compile(r"^(\d+):(\d{1,2}):(\d{1,2}(?:\.\d*)?)$")


def _tagged_end(metadata) -> float | None:
    """The DURATION tag Matroska muxers write per track (FFmpeg's: the track's end timestamp;
    mkvmerge's: its length, the same for the usual track from 0)."""
    found = _HMS.match(str(metadata.get("DURATION", "")).strip())
    if not found:
        return None
    hours, minutes, seconds = found.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def probe(path: Path) -> VideoInfo:
    container = open_video(path)
    try:
        stream = video_stream(container, path)
        fps = float(stream.average_rate or stream.guessed_rate or 0) or 0.0
        end = video_end(container, stream)
        origin = decoded_origin(container, stream) if end is not None else 0
        duration = max(0.0, end - float(origin * stream.time_base)) if end is not None else 0.0
        ctx = stream.codec_context
        return VideoInfo(duration, fps, ctx.width, ctx.height, ctx.name)
    finally:
        container.close()

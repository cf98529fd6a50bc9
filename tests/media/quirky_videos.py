"""Generated videos with the quirks of real library files: a video track that starts late or ends
before the audio, a recording cut in the middle of a group of pictures, B-frames in AVI, no
duration in the header, a rotation in the track header, damage in the middle. Each frame shows a
known picture (`tests.videos.scene_frame`), so a test can tell which one it got. Nothing
copyrighted; each file is well under a megabyte."""
from __future__ import annotations

import io
import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from tests.videos import scene_frame

FPS = 10


def picture(i: int) -> np.ndarray:
    """Frame i of every video here: a scene per second, its square moving 4 px a frame."""
    return scene_frame(1 + i // FPS, i / FPS)


def write_video(target, n_frames: int, fmt: str | None = None, codec: str = "libx264",
                first_pts_s: float = 0.0, audio_s: tuple[float, float] | None = None,
                options: dict | None = None, skip_before_s: float = 0.0,
                frames: list[np.ndarray] | None = None, times: list[float] | None = None) -> None:
    """`n_frames` of `picture` at FPS (or `frames` at `times`, seconds) as `codec`, timed from
    `first_pts_s`; with `audio_s` = (start, end), a silent PCM/AAC track over those seconds too.
    `skip_before_s` leaves out the packets before that second, as a recording started in the middle
    of a group of pictures does."""
    frames = frames if frames is not None else [picture(i) for i in range(n_frames)]
    times = times if times is not None else [i / FPS for i in range(len(frames))]
    out = av.open(target, "w", format=fmt)
    video = out.add_stream(codec, rate=FPS, options=options or {})
    video.width, video.height = frames[0].shape[1], frames[0].shape[0]
    video.pix_fmt = "yuv420p"
    video.codec_context.time_base = Fraction(1, 1000) if codec == "libx264" else Fraction(1, FPS)
    audio = out.add_stream("aac", rate=48000, layout="mono") if audio_s else None
    tb = video.codec_context.time_base
    packets = []
    for img, t in zip(frames, times):
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts, frame.time_base = int(round((t + first_pts_s) / tb)), tb
        packets += video.encode(frame)
    packets += video.encode()
    for packet in packets:
        if packet.pts is not None and float(packet.pts * packet.time_base) < skip_before_s + first_pts_s - 1e-6:
            continue
        out.mux(packet)
    if audio is not None:
        start, end = (int(s * 48000) for s in audio_s)
        for pts in range(start, end, 1024):
            samples = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            samples.sample_rate, samples.pts, samples.time_base = 48000, pts, Fraction(1, 48000)
            for packet in audio.encode(samples):
                out.mux(packet)
        for packet in audio.encode():
            out.mux(packet)
    out.close()


class _OneWay(io.RawIOBase):
    """A file that cannot seek, as a pipe or a live capture: the muxer cannot go back to write
    the duration into the header."""

    def __init__(self, path: Path):
        self.file = open(path, "wb")

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, data) -> int:
        return self.file.write(data)

    def close(self) -> None:
        self.file.close()
        super().close()


def write_mkv_without_duration(path: Path, n_frames: int) -> Path:
    sink = _OneWay(path)
    write_video(sink, n_frames, fmt="matroska")
    sink.close()
    return path


def rotate_mp4_90_clockwise(path: Path) -> Path:
    """Set the (only) track header's display matrix to a quarter turn clockwise, as phones record
    portrait video: players show the picture turned, the samples stay as encoded."""
    data = bytearray(path.read_bytes())
    matrix = data.find(b"tkhd") + 4 + 40     # version/flags, times, track id, duration, layer... then the matrix
    struct.pack_into(">9i", data, matrix, 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
    path.write_bytes(bytes(data))
    return path


def damage_middle(path: Path, n_bytes: int = 4096, seed: int = 0) -> Path:
    """`n_bytes` of random bytes over the middle of the file, as a bad sector or a broken download."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + n_bytes] = np.random.default_rng(seed).integers(0, 256, n_bytes, np.uint8).tobytes()
    path.write_bytes(bytes(data))
    return path


def mean_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())

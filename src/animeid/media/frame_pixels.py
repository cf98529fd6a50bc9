"""Decoded frames as arrays: RGB at a reduced size, grey, or a tiny luma miniature, turned as
players show them. Colour conversion (swscale) is the costly part of sampling, so it runs at the
size kept, and the luma of planar YUV (nearly every codec) is read straight from the plane."""
from __future__ import annotations

import numpy as np


def target_size(width: int, height: int, short_side: int | None) -> tuple[int, int]:
    if not short_side or min(width, height) <= short_side:
        return width, height
    scale = short_side / min(width, height)
    # even sizes keep swscale on its fast paths
    return max(2, int(round(width * scale / 2)) * 2), max(2, int(round(height * scale / 2)) * 2)


def quarter_turns(frame) -> int:
    """Counter-clockwise quarter turns a player gives the frame: the rotation of its display matrix
    (a phone's portrait video is stored sideways with a rotation in its track header). PyAV gives
    the angle counter-clockwise, so -90 (the usual portrait tag) is one turn clockwise, 3 here."""
    return int(round(frame.rotation / 90)) % 4


def displayed_size(frame, turns: int) -> tuple[int, int]:
    """(width, height) as a player shows the frame."""
    return (frame.height, frame.width) if turns % 2 else (frame.width, frame.height)


def turned(array: np.ndarray, turns: int) -> np.ndarray:
    """`array` (rows first, as stored) turned as it is displayed; contiguous, as the embedders and
    Pillow want it."""
    return np.ascontiguousarray(np.rot90(array, turns)) if turns else array


def rgb(frame, size: tuple[int, int], turns: int) -> np.ndarray:
    """The frame as RGB, shown `size` (width, height) after its `turns`: converted at the stored
    orientation's size, then turned (a copy of the kept, already small, array)."""
    width, height = (size[1], size[0]) if turns % 2 else size
    return turned(frame.to_ndarray(format="rgb24", width=width, height=height), turns)


_LUMA_8BIT = frozenset({"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "yuv411p",
                        "yuv440p", "yuvj440p", "nv12", "nv21", "gray"})
_LUMA_HIGH_BIT = {"yuv420p10le": 2, "yuv422p10le": 2, "yuv444p10le": 2, "yuv420p12le": 4, "yuv422p12le": 4,
                  "yuv444p12le": 4, "gray10le": 2, "gray12le": 4}


def miniature(frame) -> np.ndarray:
    """32x18 grey block means. For planar YUV (nearly every codec) the luma plane is read as it is:
    a swscale conversion per frame would cost more than the decoding it watches. Not turned: it is
    only ever compared with miniatures of the same video."""
    name = frame.format.name
    luma = None
    plane = frame.planes[0]
    # every 4th pixel of every 4th row is plenty to tell fast action from a held drawing
    if name in _LUMA_8BIT:
        luma = luma_8bit(frame)[::4, ::4]
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


def luma_8bit(frame) -> np.ndarray:
    """The luma plane of an 8-bit planar YUV (or grey) frame, as a view: no copy, no conversion."""
    plane = frame.planes[0]
    return np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, :plane.width]


def grey(frame, size: tuple[int, int], turns: int = 0) -> np.ndarray:
    """The frame's luma shown `size` (width, height) after its `turns`; planar 8-bit YUV is read as
    it is and box-filtered, which is several times cheaper than a swscale conversion of the whole
    frame."""
    width, height = (size[1], size[0]) if turns % 2 else size
    if frame.format.name in _LUMA_8BIT:
        from PIL import Image

        luma = luma_8bit(frame)
        # every other pixel first, while that still leaves twice the pixels wanted: a box filter
        # over a 4x smaller plane, with no visible difference at the size kept
        while luma.shape[1] >= 4 * width and luma.shape[0] >= 4 * height:
            luma = luma[::2, ::2]
        stored = np.asarray(Image.fromarray(np.ascontiguousarray(luma)).resize((width, height), Image.BOX))
    else:
        stored = frame.to_ndarray(format="gray", width=width, height=height)
    return turned(stored, turns)

"""Scene previews: the span shown, the MP4 cut from the video, the JPEG, and the on-disk cache."""
from __future__ import annotations

import io
import os

import av
import numpy as np
import pytest

from animeid.media.video import frame_at
from animeid.service.previews import cached_file, clip_span, scene_clip_mp4, thumbnail_jpeg, trim_cache


@pytest.mark.parametrize("t, t_from, t_to, duration, expected", [
    (5.0, 4.5, 5.5, 100.0, (3.5, 6.5)),     # padded by 1 s each side: already 3 s
    (5.0, 5.0, 5.0, 100.0, (3.5, 6.5)),     # 2 s padded span grows to the 3 s minimum, centred
    (0.2, 0.0, 0.5, 100.0, (0.0, 3.0)),     # shifted right to start at 0
    (99.8, 99.5, 100.0, 100.0, (97.0, 100.0)),  # shifted left to end at the video's end
    (30.0, 10.0, 40.0, 100.0, (25.0, 35.0)),    # a 32 s span is cut to 10 s around the matched second
])
def test_clip_span(t, t_from, t_to, duration, expected):
    assert clip_span(t, t_from, t_to, duration, pad=1.0, min_len=3.0, max_len=10.0) == pytest.approx(expected)


def test_scene_clip_is_h264_of_the_requested_seconds(scene_library, tmp_path):
    video = scene_library / "Alpha" / "Alpha - 01.mp4"   # 8 s at 10 fps, 192x144, scenes every 2 s
    out = tmp_path / "clip.mp4"
    scene_clip_mp4(video, 2.0, 4.0, short_side=72, out=out)
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264" and (s.width, s.height) == (96, 72)
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(s)]
    assert 20 <= len(frames) <= 21
    # the first frame is the video's frame at 2.0 s (scene 2), not the frame at 0 s (scene 1)
    from PIL import Image

    def small(t):
        return np.asarray(Image.fromarray(frame_at(video, t)).resize((96, 72), Image.BILINEAR), np.float32)

    first = frames[0].astype(np.float32)
    assert np.abs(first - small(2.0)).mean() < 12 < np.abs(first - small(0.0)).mean()


def test_thumbnail_is_a_jpeg_of_the_matched_second(scene_library):
    from PIL import Image

    data = thumbnail_jpeg(scene_library / "Beta" / "[Grp] Beta S01E03 [720p].mkv", 3.0, short_side=72)
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG" and img.size == (96, 72)


def test_cache_makes_once_atomically_and_trims_oldest(tmp_path):
    calls = []

    def make(tmp):
        calls.append(tmp)
        tmp.write_bytes(b"x" * 100)

    p1 = cached_file(tmp_path, "a.jpg", make, max_bytes=1000)
    assert cached_file(tmp_path, "a.jpg", make, max_bytes=1000) == p1 and len(calls) == 1

    def broken(tmp):
        tmp.write_bytes(b"half")
        raise RuntimeError("encoder died")

    with pytest.raises(RuntimeError):
        cached_file(tmp_path, "b.mp4", broken, max_bytes=1000)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jpg"]  # no half file, no temp left

    for i, name in enumerate(["c", "d", "e"]):
        (tmp_path / name).write_bytes(b"y" * 100)
        os.utime(tmp_path / name, (1000 + i, 1000 + i))
    os.utime(p1, (2000, 2000))
    assert trim_cache(tmp_path, max_bytes=250) == 2   # 400 bytes -> drop the two oldest (c, d)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jpg", "e"]

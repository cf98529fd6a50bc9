"""Files under a video's name that are not videos: a picture (FFmpeg reads a JPEG as a one-frame
stream), an audio file whose only picture is its cover, and bytes that are nothing at all. Each
is refused in one line; real one-frame videos and animated GIFs are still videos."""
from __future__ import annotations

import io

import av
import numpy as np
import pytest
from PIL import Image

from animeid.errors import BadVideo
from animeid.media.video import frame_at, iter_frames, probe
from tests.media.quirky_videos import picture, write_video
from tests.videos import write_frames


@pytest.mark.parametrize("fmt, name", [("JPEG", "T - 01.mkv"), ("PNG", "T - 01.mp4")])
def test_a_picture_under_a_videos_name_is_not_a_video(tmp_path, fmt, name):
    path = tmp_path / name
    Image.fromarray(picture(0)).save(path, format=fmt)
    for read in (probe, lambda p: list(iter_frames(p)), lambda p: frame_at(p, 0.0)):
        with pytest.raises(BadVideo) as caught:
            read(path)
        assert str(caught.value) == f"{path}: is a still picture, not a video"


def test_an_audio_file_with_a_cover_picture_has_no_video(tmp_path):
    path = tmp_path / "T - OST 01.mkv"
    cover = io.BytesIO()
    Image.fromarray(picture(0)).save(cover, format="JPEG")
    with av.open(str(path), "w") as out:
        out.add_attachment("cover.jpg", "image/jpeg", cover.getvalue())
        audio = out.add_stream("aac", rate=48000, layout="mono")
        for pts in range(0, 48000, 1024):
            samples = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            samples.sample_rate, samples.pts = 48000, pts
            for packet in audio.encode(samples):
                out.mux(packet)
        for packet in audio.encode():
            out.mux(packet)
    with av.open(str(path)) as check:    # FFmpeg shows the cover as a video stream
        assert check.streams.video and check.streams.video[0].disposition & av.stream.Disposition.attached_pic
    with pytest.raises(BadVideo, match=r"has no video stream \(only a cover picture\)$"):
        probe(path)
    with pytest.raises(BadVideo, match="has no video stream"):
        list(iter_frames(path))


def test_one_frame_videos_and_animated_gifs_are_videos(tmp_path):
    one = tmp_path / "one.mp4"
    write_video(str(one), 1)
    assert [t for t, _ in iter_frames(one)] == [0.0]
    gif = write_frames(tmp_path / "clip.gif", [picture(i) for i in range(6)], fps=10)
    assert len(list(iter_frames(gif, fps=10))) == 6 and probe(gif).duration == pytest.approx(0.6)


def test_bytes_that_are_no_video_are_one_clean_line(tmp_path):
    path = tmp_path / "T - 01.mp4"
    path.write_text("this is not a video\n" * 50)
    with pytest.raises(BadVideo) as caught:
        probe(path)
    assert str(caught.value) == f"{path}: not a readable video (invalid data; truncated or not a video?)"

"""A video with a rotation in its track header (phones record portrait video this way) is decoded as
players show it, turned, in every decoding path: a screenshot of what a player displays is what
the index holds and what frame placement correlates with."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from animeid.media.video import frame_at, frames_at, grey_frames_between, iter_frames
from tests.media.quirky_videos import FPS, mean_difference, picture, rotate_mp4_90_clockwise, write_video


@pytest.fixture(scope="module")
def portrait(tmp_path_factory):
    path = tmp_path_factory.mktemp("rotated") / "portrait.mp4"
    write_video(str(path), 3 * FPS)          # 192x144 samples, shown 144x192
    return rotate_mp4_90_clockwise(path)


def displayed(i: int) -> np.ndarray:
    return np.ascontiguousarray(np.rot90(picture(i), -1))     # a quarter turn clockwise


def test_every_decoding_path_shows_the_frame_turned(portrait):
    samples = list(iter_frames(portrait, fps=2.0, short_side=None))
    t, first = samples[2]
    assert first.shape == (192, 144, 3) and t == pytest.approx(1.0)
    assert mean_difference(first, displayed(10)) < 4 < mean_difference(first[::-1, ::-1], displayed(10))
    assert mean_difference(frame_at(portrait, 1.0), displayed(10)) < 4
    assert mean_difference(frames_at(portrait, [1.0])[0], displayed(10)) < 4
    # the short side is the displayed width
    assert next(iter(iter_frames(portrait, fps=2.0, short_side=72)))[1].shape == (96, 72, 3)
    assert frame_at(portrait, 1.0, short_side=72).shape == (96, 72, 3)
    times, grey = grey_frames_between(portrait, 1.0, 1.0, 72)
    assert grey.shape == (1, 96, 72)
    expected = np.asarray(Image.fromarray(displayed(10)).convert("L").resize((72, 96), Image.BOX))
    assert mean_difference(grey[0], expected) < 4


def test_a_scene_preview_is_cut_turned_too(portrait, tmp_path):
    """The service's scene preview re-encodes frames: they are turned as a player shows them, since
    the MP4 it writes carries no rotation of its own."""
    import av

    from animeid.service.previews import scene_clip_mp4

    out = tmp_path / "scene.mp4"
    scene_clip_mp4(portrait, 1.0, 1.6, short_side=144, out=out)
    with av.open(str(out)) as container:
        frame = next(container.decode(video=0))
        assert (frame.width, frame.height) == (144, 192) and not frame.rotation
        first = frame.to_ndarray(format="rgb24")
    assert mean_difference(first, displayed(10)) < 8 < mean_difference(first[::-1, ::-1], displayed(10))

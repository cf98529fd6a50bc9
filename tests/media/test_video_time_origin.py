"""One time origin for every decoding path, the one players count from: the container's start.
A video track that starts after the audio, a recording cut in the middle of a group of pictures
(its first frames cannot be decoded) and B-frames in AVI (the first frame is shown one frame in)
all used to give the index (counted from the first decoded frame) and frame placement (counted
from the stream's start) different seconds for the same frame."""
from __future__ import annotations

import numpy as np
import pytest

from animeid.media.video import frame_at, frames_at, grey_frames_between, iter_frames, probe
from tests.media.quirky_videos import FPS, mean_difference, picture, write_video

CUT = {"g": "50", "keyint_min": "50", "sc_threshold": "0", "bf": "0"}

# name: (file, how it is written, second a player shows its first frame at, index of that picture)
CASES = {
    "video after audio": ("late.mkv", dict(n_frames=30, first_pts_s=3.0, audio_s=(0.0, 6.0)), 3.0, 0),
    # packets from 1 s on; the first keyframe is at 5 s, 4 s after the file's start
    "cut mid-GOP": ("cut.ts", dict(n_frames=80, skip_before_s=1.0, options=CUT), 4.0, 50),
    "AVI with B-frames": ("bf.avi", dict(n_frames=30, codec="mpeg4", options={"bf": "2"}), 0.1, 0),
    "starts at 10 s": ("late10.mkv", dict(n_frames=30, first_pts_s=10.0), 0.0, 0),
    "MP4 with B-frames (edit list)": ("bf.mp4", dict(n_frames=30, options={"bf": "2"}), 0.0, 0),
}


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("origins")
    for name, kwargs, _, _ in CASES.values():
        write_video(str(folder / name), **kwargs)
    return folder


def shown(img: np.ndarray, first: int, n: int = 40) -> int:
    """Which of pictures first..first+n-1 `img` shows."""
    return first + int(np.argmin([mean_difference(img, picture(i)) for i in range(first, first + n)]))


@pytest.mark.parametrize("case", list(CASES))
def test_every_decoding_path_counts_from_the_containers_start(videos, case):
    name, _, first_at, first_picture = CASES[case]
    path = videos / name
    samples = list(iter_frames(path, fps=2.0, short_side=None))
    assert samples[0][0] == pytest.approx(first_at, abs=1e-6)
    assert shown(samples[0][1], first_picture) == first_picture
    t = samples[2][0]                                         # about a second later
    wanted = first_picture + round((t - first_at) * FPS)
    assert wanted >= first_picture + FPS - 1
    assert shown(samples[2][1], first_picture) == wanted
    assert shown(frames_at(path, [t])[0], first_picture) == wanted
    assert shown(frame_at(path, t), first_picture) == wanted
    times, grey = grey_frames_between(path, t - 0.3, t + 0.3, 96)
    assert np.isclose(times, t).sum() == 1 and times[0] == pytest.approx(t - 0.3, abs=1e-6)
    assert probe(path).duration == pytest.approx(first_at + 3.0 if case != "cut mid-GOP" else 7.0, abs=0.15)


def test_variable_frame_rates_keep_their_own_timestamps(tmp_path):
    times = [0.0, 0.1, 0.2, 0.7, 0.8, 1.6, 1.7, 1.8]
    path = tmp_path / "vfr.mkv"
    write_video(str(path), 0, frames=[picture(i) for i in range(len(times))], times=times)
    assert [t for t, _ in iter_frames(path, fps=FPS, short_side=None)] == pytest.approx(times, abs=1e-6)
    assert shown(frame_at(path, 1.65), 0, len(times)) == 5      # 1.6 s is shown until 1.7 s
    assert grey_frames_between(path, 0.5, 1.7, 64)[0] == pytest.approx([0.7, 0.8, 1.6, 1.7])

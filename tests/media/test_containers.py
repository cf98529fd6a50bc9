"""Containers beyond MP4/MKV that anime archives hold: TV and disc recordings (MPEG-TS, M2TS) and
old fansub files (FLV, WMV, MPEG-PS) are indexed, searched and cut into previews like the rest.
MPEG-TS has no index, so seeking lands by a byte estimate and can overshoot the wanted second."""
from __future__ import annotations

import numpy as np
import pytest

from animeid.config import IndexCfg
from animeid.media.video import frame_at, frames_at
from animeid.scenes.index import Index
from animeid.scenes.indexer import index_library
from tests.videos import scene_frame, write_frames

SUFFIXES = [".ts", ".m2ts", ".flv", ".wmv", ".mpg"]


def frames_of(seeds: list[int]) -> list[np.ndarray]:
    return [scene_frame(seeds[g // 20], g / 10) for g in range(20 * len(seeds))]


@pytest.mark.parametrize("suffix", [".ts", ".m2ts"])
def test_a_frame_is_found_where_the_seek_overshoots(tmp_path, suffix):
    # one keyframe at the start: FFmpeg's byte estimate for 2.3 s lands past it, on later frames
    clip = write_frames(tmp_path / f"c{suffix}", frames_of([1, 2, 3]), fps=10, gop=250)
    exact = frames_at(clip, [2.3])[0]
    assert np.abs(frame_at(clip, 2.3).astype(int) - exact).mean() < 1.0
    assert np.abs(exact.astype(int) - scene_frame(2, 2.3)).mean() < 8.0


def test_every_container_is_indexed_searched_and_previewed(tmp_path):
    from animeid.service.previews import scene_clip_mp4

    lib = tmp_path / "lib"
    for n, suffix in enumerate(SUFFIXES):
        write_frames(lib / "Delta" / f"Delta - {n + 1:02d}{suffix}", frames_of([30 + 3 * n, 31 + 3 * n, 32 + 3 * n]),
                     fps=10, gop=250)
    report = index_library(lib, tmp_path / "db", IndexCfg(), progress=False)
    assert not report.failed and len(report.added) == len(SUFFIXES)
    index = Index.load(tmp_path / "db")
    for n, suffix in enumerate(SUFFIXES):
        video = lib / "Delta" / f"Delta - {n + 1:02d}{suffix}"
        top = index.search(frames_at(video, [3.3])[0], k=1)[0]
        assert top.file == f"Delta/Delta - {n + 1:02d}{suffix}" and top.episode == n + 1
        assert abs(top.at - 3.3) <= 0.5
        out = tmp_path / f"preview{n}.mp4"
        scene_clip_mp4(video, 3.0, 4.0, 144, out)
        first = frames_at(out, [0.0])[0]
        assert first.shape[0] == 144
        # the preview starts at 3.0 s of the file, not wherever the seek landed
        wanted = np.asarray(frames_at(video, [3.0], short_side=144)[0], dtype=int)
        assert np.abs(first.astype(int)[:, :wanted.shape[1]] - wanted[:, :first.shape[1]]).mean() < 12.0

"""Index the real shared clips and find perturbed frames at seconds that were never sampled."""
from __future__ import annotations

import numpy as np
import pytest

from animeid.config import IndexCfg
from animeid.evaluate.perturbations import VARIANTS
from animeid.evaluate.unsampled import sampled_times, unsampled_query_times
from animeid.media.video import frame_times
from animeid.media.video import frames_at, probe
from animeid.scenes.index import Index
from animeid.scenes.indexer import index_library
from animeid.scenes.library import scan_library

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def shared_index(shared_data, tmp_path_factory):
    db = tmp_path_factory.mktemp("shared") / "idx"
    report = index_library(shared_data / "video", db, IndexCfg(), progress=False)
    assert not report.failed and len(report.added) == 8
    return db


def test_every_title_found_under_every_perturbation(shared_data, shared_index):
    index = Index.load(shared_index)
    rng = np.random.default_rng(3)
    total = title_ok = file_ok = time_ok = 0
    for v in scan_library(shared_data / "video", IndexCfg().video_extensions):
        duration = probe(v.path).duration
        times = unsampled_query_times(v.path, IndexCfg(), duration, 2)   # frames the index never kept
        for t, frame in zip(times, frames_at(v.path, times)):
            for name, perturb in VARIANTS.items():
                hits = index.search(perturb(frame, rng), k=3)
                total += 1
                title_ok += hits[0].title == v.title
                file_ok += hits[0].file == v.relpath
                time_ok += hits[0].file == v.relpath and abs(hits[0].at - t) <= 1.0
    assert title_ok == total
    assert file_ok / total >= 0.95
    assert time_ok / total >= 0.75


def test_query_frames_are_never_frames_the_index_kept(shared_data):
    """Fast-action samples land off the fixed grid: in the GIFs most frames are kept, and an
    off-grid second used to show one of them."""
    for v in scan_library(shared_data / "video", IndexCfg().video_extensions):
        duration = probe(v.path).duration
        kept = sampled_times(v.path, IndexCfg())
        frames = frame_times(v.path)
        times = unsampled_query_times(v.path, IndexCfg(), duration, 6)
        assert len(times) == 6 and kept
        for t in times:
            shown = max(f for f in frames if f <= t)   # the frame on screen at t
            assert round(shown, 4) not in kept and shown < t < duration


def test_letterboxed_episode_and_episode_numbers(shared_data, shared_index):
    index = Index.load(shared_index)
    files = {f.path: f for f in index.store.files()}
    assert files["Kono Bijutsubu ni wa Mondai ga Aru!/Kono Bijutsubu ni wa Mondai ga Aru! - 07.mp4"].episode == 7
    assert files["One Piece/One Piece - demo.mp4"].episode is None
    clip = shared_data / "video" / "Kono Bijutsubu ni wa Mondai ga Aru!" / "Kono Bijutsubu ni wa Mondai ga Aru! - 12.mp4"
    hits = index.search(frames_at(clip, [8.4])[0], k=1)
    assert hits[0].episode == 12 and abs(hits[0].at - 8.4) <= 1.0


def test_gif_windows_of_every_clip_are_found_at_their_start(shared_data, shared_index, tmp_path):
    """A window of each real clip, cut at a second the index never kept and written as a GIF (256
    colours, 10 fps), as bots receive them: its frames vote on where it starts."""
    from tests.videos import write_gif

    index = Index.load(shared_index)
    total = file_ok = start_ok = 0
    for v in scan_library(shared_data / "video", IndexCfg().video_extensions):
        duration = probe(v.path).duration
        length = min(2.0, 0.6 * duration)
        start = unsampled_query_times(v.path, IndexCfg(), duration - length, 1)[0]
        clip = write_gif(tmp_path / f"{total}.gif", frames_at(v.path, list(start + np.arange(0, length, 0.1))))
        answer = index.search_clip(clip, k=1)
        total += 1
        file_ok += answer.hits[0].scene.file == v.relpath
        start_ok += answer.hits[0].scene.file == v.relpath and abs(answer.hits[0].scene.at - start) <= 1.0
    assert total == 8 and file_ok == total
    assert start_ok >= total - 1

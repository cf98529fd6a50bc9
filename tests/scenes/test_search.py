"""Time placement and re-ranking after the vector search, on a real SQLite store with hand-made
thumbnails whose correlations are known."""
import numpy as np
import pytest

from animeid.scenes.hits import FrameHit, SceneHit
from animeid.scenes.refine import THUMB_H, THUMB_W
from animeid.scenes.search import ThumbnailScorer, refine_in_time, rerank, tied_run
from animeid.store.metadata import MetadataStore


def pattern(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (THUMB_H, THUMB_W), dtype=np.uint8)


def test_tied_run_is_the_contiguous_stretch_within_tie():
    values = [0.2, 0.995, 0.999, 0.997, 0.5, 0.999]
    assert tied_run(values, 2, 0.005) == (1, 3)        # the later 0.999 is not contiguous
    assert tied_run(values, 2, 0.0) == (2, 2)
    assert tied_run([0.9], 0, 0.1) == (0, 0)


@pytest.fixture()
def store(tmp_path):
    s = MetadataStore(tmp_path / "meta.sqlite")
    f = s.start_file("T/ep1.mp4", "T", 1, "fp", 20.0)
    still, other = pattern(1), pattern(2)
    # 0-1 s: another drawing; 1-5 s: one drawing held for four entries; 5-6 s: another again
    rows = [(1, 0.0, 0.25, 0.5, other.tobytes())]
    rows += [(2 + i, 1.0 + i, 1.25 + i, 1.5 + i, still.tobytes()) for i in range(4)]
    rows += [(6, 5.0, 5.25, 5.5, pattern(3).tobytes())]
    s.commit_entries(f.id, rows, 6.0, True)
    yield s, f.id, still
    s.close()


def test_a_held_drawing_is_answered_at_the_middle_of_its_run(store):
    s, fid, still = store
    scene = SceneHit("T", 1, "T/ep1.mp4", 1.0, 1.25, 1.5, 0.9, 2, fid)
    placed = refine_in_time(s, scene, ThumbnailScorer(still), margin=5.0, tie=0.005)
    # identical entries span 1.0 .. 4.5 s; the different ones around them end at 0.5 s and start at
    # 5.0 s, so the drawing was on screen from about 0.75 to 4.75 s: every second of it is equally
    # likely, and the middle, 2.75 s, is least far from all of them
    assert placed.at == pytest.approx(((0.5 + 1.0) / 2 + (4.5 + 5.0) / 2) / 2)
    assert (placed.from_, placed.to) == (1.0, 4.5)
    assert placed.entry_id in (2, 3, 4, 5)
    assert placed.held == pytest.approx((0.75, 4.75))   # what clips vote with


def test_without_a_tie_the_best_entry_is_the_answer(store):
    s, fid, _ = store
    scene = SceneHit("T", 1, "T/ep1.mp4", 1.0, 1.25, 1.5, 0.9, 2, fid)
    placed = refine_in_time(s, scene, ThumbnailScorer(pattern(3)), margin=5.0, tie=0.005)
    assert (placed.at, placed.entry_id) == (5.25, 6)
    assert (placed.from_, placed.to) == (1.0, 5.5) and placed.held is None


def test_mirrored_screenshot_is_matched_in_its_orientation(store):
    s, fid, _ = store
    scene = SceneHit("T", 1, "T/ep1.mp4", 5.0, 5.25, 5.5, 0.9, 6, fid)
    query = np.ascontiguousarray(pattern(2)[:, ::-1])
    placed = refine_in_time(s, scene, ThumbnailScorer(query), margin=5.0, tie=0.005)
    assert placed.entry_id == 1


def fh(i, file, t, sim):
    return FrameHit(i, file, "T", 1, t, t, t, sim)


def test_rerank_orders_moments_of_a_file_but_never_promotes_another_file():
    target = pattern(5)
    hits = [fh(1, "a.mp4", 1.0, 0.90), fh(2, "a.mp4", 9.0, 0.88), fh(3, "b.mp4", 3.0, 0.89)]
    blobs = [pattern(6).tobytes(), target.tobytes(), target.tobytes()]
    out = rerank(hits, blobs, ThumbnailScorer(target), weight=0.5, reach=0.2, limit=8)
    by_id = {h.entry_id: h.rank_score for h in out}
    # inside a.mp4 the matching thumbnail (entry 2) now leads, at the file's best CNN similarity
    assert by_id[2] == pytest.approx(0.90)
    assert by_id[1] < by_id[2]
    # b.mp4 matches perfectly too, but its score stays its own CNN similarity: below a.mp4's best
    assert by_id[3] == pytest.approx(0.89)


def test_zoom_views_must_be_shares_of_the_picture():
    import numpy as np

    from animeid.config import SearchCfg
    from animeid.scenes.views import center_crop

    with pytest.raises(ValueError, match="zoom_views"):
        SearchCfg(zoom_views=(1.5,))
    with pytest.raises(ValueError):
        center_crop(np.zeros((100, 200, 3), np.uint8), 1.5)
    assert center_crop(np.zeros((100, 200, 3), np.uint8), 0.25).shape == (50, 100, 3)


@pytest.mark.parametrize("factory", ["Flat", "IVF4,Flat"])
def test_a_title_is_searched_among_its_own_entries(tmp_path, factory):
    """In a library of many titles, the nearest entries of the whole index may all belong to other
    titles: a title filter applied to them answered nothing for a title that was indexed."""
    from animeid.config import SearchCfg
    from animeid.scenes.search import search_scenes
    from animeid.store.vectors import VectorIndex

    rng = np.random.default_rng(0)
    query = np.zeros((1, 16), np.float32)
    query[0, 0] = 1.0
    near = query + 0.05 * rng.standard_normal((400, 16)).astype(np.float32)   # 400 entries of others
    far = np.zeros((3, 16), np.float32)
    far[:, 1] = 1.0
    far[:, 0] = [0.3, 0.2, 0.1]                                              # the title asked for
    store = MetadataStore(tmp_path / "meta.sqlite")
    vectors = VectorIndex(16, factory, "cosine")
    everything = np.concatenate([near, far])
    vectors.train(everything / np.linalg.norm(everything, axis=1, keepdims=True))
    for n, (title, vecs) in enumerate([(f"Other {i}", near[i * 100:(i + 1) * 100]) for i in range(4)] + [("Far", far)]):
        rec = store.start_file(f"{title}/ep.mp4", title, 1, "fp", 60.0)
        ids = np.arange(n * 1000, n * 1000 + len(vecs))
        store.commit_entries(rec.id, [(int(i), 2.0 * j, 2.0 * j, 2.0 * j, None) for j, i in enumerate(ids)], 60.0, True)
        vectors.add(vecs / np.linalg.norm(vecs, axis=1, keepdims=True), ids)
    hits = search_scenes(vectors, store, query, 2, SearchCfg(nprobe=4), float, None, "Far")
    assert [h.title for h in hits] == ["Far", "Far"] and hits[0].at == 0.0
    assert search_scenes(vectors, store, query, 2, SearchCfg(nprobe=4), float, None, "Other 1")[0].title == "Other 1"
    store.close()

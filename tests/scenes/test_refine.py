"""Crop-tolerant thumbnail correlation: exact crops, mirrored crops and captioned screenshots must
correlate (near) perfectly with the frame they came from, and unrelated frames must not."""
import numpy as np
import pytest

from animeid.scenes.refine import THUMB_H, THUMB_W, CropMatcher, crop_ncc, thumbnail


def smooth_frame(seed: int, h: int = 360, w: int = 640) -> np.ndarray:
    """A frame with structure at thumbnail scale (random noise would vanish when squashed)."""
    from PIL import Image

    small = np.random.default_rng(seed).integers(0, 256, (9, 16, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize((w, h), Image.BICUBIC))


def test_thumbnail_shape_and_type():
    t = thumbnail(smooth_frame(0))
    assert t.shape == (THUMB_H, THUMB_W) and t.dtype == np.uint8


def test_the_frame_itself_correlates_perfectly_and_others_do_not():
    frames = [smooth_frame(s) for s in range(4)]
    scores = crop_ncc(thumbnail(frames[2]), np.stack([thumbnail(f) for f in frames]))
    assert scores[2] == pytest.approx(1.0, abs=1e-3)
    assert np.argmax(scores) == 2 and np.sort(scores)[-2] < 0.9


def test_a_crop_of_80_percent_per_side_is_found_where_it_was_cut():
    frame = smooth_frame(7)
    crop = frame[36:36 + 288, 64:64 + 512]            # 80% of each side
    others = [smooth_frame(s) for s in (8, 9)]
    scores = crop_ncc(thumbnail(crop), np.stack([thumbnail(f) for f in [frame, *others]]))
    assert scores[0] > 0.95 and scores[0] > scores[1:].max() + 0.2


def test_mirrored_query_matches_only_when_mirroring_is_allowed():
    frame = smooth_frame(11)
    mirrored = thumbnail(np.ascontiguousarray(frame[:, ::-1]))
    thumbs = thumbnail(frame)[None]
    assert CropMatcher(mirrored, (True,)).scores(thumbs)[0] == pytest.approx(1.0, abs=1e-3)
    assert CropMatcher(mirrored, (False,)).scores(thumbs)[0] < 0.9


def test_correlation_ignores_brightness_and_contrast():
    frame = smooth_frame(13).astype(np.float32)
    brighter = np.clip(frame * 0.8 + 40, 0, 255).astype(np.uint8)
    score = crop_ncc(thumbnail(brighter), thumbnail(frame.astype(np.uint8))[None])[0]
    assert score > 0.99


def test_no_candidates_gives_no_scores():
    assert CropMatcher(thumbnail(smooth_frame(1))).scores(np.zeros((0, THUMB_H, THUMB_W), np.uint8)).shape == (0,)

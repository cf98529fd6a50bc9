"""Correlating a screenshot with decoded frames: the value is Pearson's correlation, worked out
here with numpy directly, and the fitted template recovers how a screenshot was cropped."""
import numpy as np
import pytest
from PIL import Image

from animeid.scenes.frame_correlation import FrameStack, Template, fit_template


def texture(seed: int, h: int = 90, w: int = 160, cell: int = 4) -> np.ndarray:
    """Smooth random grey picture: noise at 1/`cell` of the size, enlarged (so shifts and scales of
    it correlate smoothly, as drawings do)."""
    small = np.random.default_rng(seed).integers(0, 256, (h // cell + 1, w // cell + 1), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize((w, h), Image.BICUBIC))


def test_a_whole_frame_template_scores_pearsons_correlation():
    frames = np.stack([texture(1), texture(2), texture(1)[::-1]])
    query = texture(1)
    scores = FrameStack(frames).scores(query, Template(1.0, 1.0, False))
    for frame, score in zip(frames, scores):
        expected = np.corrcoef(query.ravel().astype(float), frame.ravel().astype(float))[0, 1]
        assert score == pytest.approx(expected, abs=1e-4)
    assert scores[0] == pytest.approx(1.0, abs=1e-4)


def test_a_crop_scores_its_best_position_and_a_flip_is_undone():
    frame = texture(3)
    crop = frame[10:80, 20:140]          # 70/90 of the height, 120/160 of the width
    stack = FrameStack(frame[None])
    straight = Template(120 / 160, 70 / 90, False)
    assert stack.scores(crop, straight)[0] == pytest.approx(1.0, abs=1e-4)
    mirrored = np.ascontiguousarray(crop[:, ::-1])
    assert stack.scores(mirrored, Template(120 / 160, 70 / 90, True))[0] == pytest.approx(1.0, abs=1e-4)
    assert stack.scores(mirrored, straight)[0] < 0.9


def test_a_caption_template_may_not_slide_down():
    frame = texture(4)
    stack = FrameStack(frame[None])
    # the screenshot's top three quarters match the frame's top three quarters only
    assert stack.scores(frame, Template(1.0, 1.0, False, rows=0.75))[0] == pytest.approx(1.0, abs=1e-4)
    shifted = np.vstack([frame[20:], frame[:20]])   # its top now shows what lies 20 rows lower
    assert stack.scores(shifted, Template(1.0, 1.0, False, rows=0.75))[0] < 0.9


@pytest.mark.parametrize("flip", [False, True])
def test_fit_template_recovers_how_the_screenshot_was_cropped(flip):
    big = texture(5, 360, 640, cell=16)
    crop = big[40:320, 60:560]               # 500/640 = 0.78 of the width, 280/360 = 0.78 of the height
    crop = np.asarray(Image.fromarray(crop).resize((300, 180), Image.BILINEAR))   # and squashed
    if flip:
        crop = np.ascontiguousarray(crop[:, ::-1])
    frame = np.asarray(Image.fromarray(big).resize((160, 90), Image.BOX))
    template, score = fit_template(crop, frame)
    assert template.flip is flip and template.rows == 1.0
    assert template.fx == pytest.approx(500 / 640, abs=0.03)
    assert template.fy == pytest.approx(280 / 360, abs=0.03)
    assert score > 0.97


def test_fit_template_takes_the_top_of_a_captioned_screenshot():
    frame = texture(6)
    captioned = frame.copy()
    captioned[70:84, 10:150] = 255        # a white bar of text over the bottom
    template, score = fit_template(captioned, frame)
    assert (template.fx, template.fy, template.rows) == (1.0, 1.0, 0.75)
    assert score == pytest.approx(1.0, abs=1e-3)


def test_a_template_smaller_than_a_few_pixels_scores_nothing():
    stack = FrameStack(texture(7)[None])
    assert stack.scores(texture(7), Template(0.02, 0.02, False))[0] == -1.0

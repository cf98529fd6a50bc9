"""Calibration and unknown rejection on a synthetic open-set problem: Gaussian clusters on the unit
sphere, some enrolled and some never enrolled."""
import numpy as np
import pytest

from animeid.recognize import calibration as cal


def clusters(rng, centres, per_class, spread, offset=0):
    dim = centres.shape[1]
    x = np.repeat(centres, per_class, axis=0) + spread * rng.normal(size=(len(centres) * per_class, dim)) / np.sqrt(dim)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    labels = [f"c{offset + i}" for i in range(len(centres)) for _ in range(per_class)]
    return x.astype(np.float32), labels


def unit(rng, n, dim=16):
    c = rng.normal(size=(n, dim))
    return c / np.linalg.norm(c, axis=1, keepdims=True)


def test_class_scores_hand_worked():
    sims = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    labels = ["a", "b", "a", "a", "b"]
    # a: mean of best 2 of (0.9, 0.7, 0.6) = 0.8; b: mean of (0.8, 0.5) = 0.65
    assert cal.class_scores(sims, labels, per_class=2) == [("a", pytest.approx(0.8)), ("b", pytest.approx(0.65))]
    # per_class 1 is plain nearest neighbour per label
    assert cal.class_scores(sims, labels, per_class=1)[1] == ("b", pytest.approx(0.8))


def test_platt_constant_when_outcomes_agree():
    a, b = cal.fit_platt(np.array([0.1, 0.9]), np.array([True, True]))
    assert a == 0.0
    assert 1 / (1 + np.exp(-b)) == pytest.approx(2.5 / 3)  # (2 + 0.5) / (2 + 1)


def test_threshold_separates_hand_worked_scores():
    # right answers score 0.8, 0.9; a wrong known 0.3; unknowns 0.2, 0.4: any cut in (0.4, 0.8]
    # accepts both right answers and rejects both unknowns (balanced accuracy 1).
    t = cal.learn_threshold(np.array([0.8, 0.9, 0.3]), np.array([True, True, False]), np.array([0.2, 0.4]))
    assert 0.4 < t <= 0.8


def test_open_set_calibration_and_rejection():
    rng = np.random.default_rng(0)
    known_centres, unknown_centres = unit(rng, 8), unit(rng, 4)
    gallery, labels = clusters(rng, known_centres, 30, spread=0.9)
    c = cal.calibrate(gallery, labels, folds=5, neighbours=16, per_class=3)
    assert c.a > 0  # higher similarity -> more confident
    assert c.known_queries == 240 and c.unknown_queries == 240

    # fresh queries: new samples of the 8 enrolled classes, and 4 never-enrolled classes
    queries, q_labels = clusters(rng, known_centres, 30, spread=0.9)
    unknown, _ = clusters(rng, unknown_centres, 30, spread=0.9, offset=100)

    def top(qs):
        out = []
        for row in qs @ gallery.T:
            order = np.argsort(-row)[:16]
            out.append(cal.class_scores(row[order], [labels[j] for j in order], 3)[0])
        return out

    known_top = top(queries)
    right = np.array([lab == t for (lab, _), t in zip(known_top, q_labels)])
    p_known = c.score(np.array([s for _, s in known_top]))
    p_unknown = c.score(np.array([s for _, s in top(unknown)]))
    assert right.mean() >= 0.9
    assert np.mean(p_known[right] >= c.threshold) >= 0.85   # enrolled characters are answered
    assert np.mean(p_unknown < c.threshold) >= 0.85         # never-enrolled ones are "unknown"
    # calibrated under the even open-set prior it was fitted for: on a 50/50 mix of enrolled and
    # never-enrolled queries, mean confidence is close to the share of right answers
    p_mix = np.concatenate([p_known, p_unknown])
    right_mix = np.concatenate([right, np.zeros(len(p_unknown), bool)])
    assert abs(p_mix.mean() - right_mix.mean()) <= 0.05
    # and more confident answers are right more often
    hi = p_known >= np.median(p_known)
    assert right[hi].mean() >= right[~hi].mean()


def test_single_label_gallery_uses_default_threshold():
    rng = np.random.default_rng(3)
    x, labels = clusters(rng, unit(rng, 1), 10, spread=0.5)
    c = cal.calibrate(x, labels, default_threshold=0.5)
    assert c.threshold == 0.5 and c.unknown_queries == 0


def test_platt_recovers_a_known_logistic():
    rng = np.random.default_rng(0)
    x = rng.normal(size=4000)
    t = rng.random(4000) < 1 / (1 + np.exp(-(3 * x - 1)))
    a, b = cal.fit_platt(x, t)
    assert a == pytest.approx(3, abs=0.3) and b == pytest.approx(-1, abs=0.2)


def test_group_folds_hold_near_duplicates_out_together():
    """Frames of one video are near-copies: with item folds a held-out frame finds its twin and
    looks easy; with video groups held out whole, held-out similarities are honest (lower)."""
    rng = np.random.default_rng(5)
    centres = unit(rng, 4)
    x, labels, groups = [], [], []
    for v in range(12):  # 3 videos per label, 10 near-identical frames each
        label = v % 4
        shot = centres[label] + 0.9 * rng.normal(size=16) / 4
        for f in range(10):
            x.append(shot + 0.01 * rng.normal(size=16))
            labels.append(f"t{label}")
            groups.append(f"video{v}.mp4")
    x = np.asarray(x, dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    known_items, _, _ = cal.heldout_top_scores(x, labels, 5, 16, 3, 1000)
    known_groups, _, _ = cal.heldout_top_scores(x, labels, 5, 16, 3, 1000, groups=groups)
    assert known_items.mean() > 0.99 > known_groups.mean()
    assert cal.source_group("ep07.mp4@12.50") == "ep07.mp4" and cal.source_group("a/b.png") == "a/b.png"


def test_single_image_labels_fall_back_to_a_similarity_mapping():
    """Every label has one image: no held-out answer can be right, so a Platt fit would be a
    constant and an exact copy would score like a stranger. The fallback puts score 0.5 half-way
    between the most similar simulated stranger and a perfect match."""
    x = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], dtype=np.float32)  # three labels, one image each
    c = cal.calibrate(x, ["a", "b", "c"], neighbours=4, per_class=1)
    # strangers: a's best other label is b (0.6), b's is a or c (0.8), c's is b (0.8) -> max 0.8
    assert c.known_queries == 0 and c.unknown_queries == 3
    mid = (0.8 + 1.0) / 2
    assert c.a == cal.FALLBACK_SLOPE and c.b == pytest.approx(-cal.FALLBACK_SLOPE * mid)
    assert c.threshold == 0.5 and c.fallback and c.unknown_rejected == 1.0
    assert c.score(1.0) > 0.85 and c.score(0.8) < 0.15  # a copy is accepted, the closest stranger is not


def test_single_label_gallery_falls_back_to_its_least_similar_right_answer():
    rng = np.random.default_rng(3)
    x, labels = clusters(rng, unit(rng, 1), 10, spread=0.5)
    known_raw, ok, _ = cal.heldout_top_scores(x, labels, 5, 32, 3, 3000)
    c = cal.calibrate(x, labels)
    assert ok.all() and c.score(known_raw.min()) == pytest.approx(0.5)
    assert c.score(1.0) > 0.5 > c.score(known_raw.min() - 0.1)


@pytest.mark.parametrize("source, group", [
    ("clip.mp4@12.5", "clip.mp4"), ("a@b/clip.mkv@3", "a@b/clip.mkv"),
    ("user@host/gallery/1.png", "user@host/gallery/1.png"), ("THE iDOLM@STER/2.png", "THE iDOLM@STER/2.png"),
    ("plain.png", "plain.png")])
def test_only_a_number_after_the_last_at_sign_marks_a_video_frame(source, group):
    assert cal.source_group(source) == group

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
    slopes, b = cal.fit_platt(np.array([0.1, 0.9]), np.array([True, True]))
    assert slopes.tolist() == [0.0]
    assert 1 / (1 + np.exp(-b)) == pytest.approx(2.5 / 3)  # (2 + 0.5) / (2 + 1)


def test_label_margins_hand_worked():
    ranked = [("a", 0.8), ("b", 0.65), ("c", 0.5)]
    # a leads b by 0.15; b and c trail a by 0.15 and 0.3
    assert cal.label_margins(ranked, floor=0.4).tolist() == pytest.approx([0.15, -0.15, -0.3])
    # a lone label among the neighbours leads every other label by at least its score minus the
    # least similar neighbour fetched
    assert cal.label_margins([("a", 0.8)], floor=0.55).tolist() == pytest.approx([0.25])
    assert cal.label_margins([], floor=0.5).tolist() == []


def test_a_margin_calibration_needs_the_margin():
    c = cal.Calibration(10.0, -5.0, 0.5, margin_weight=4.0)
    # sigmoid(10 * 0.6 - 5 + 4 * 0.25) = sigmoid(2)
    assert c.score(0.6, 0.25) == pytest.approx(1 / (1 + np.exp(-2.0)))
    with pytest.raises(ValueError, match="margin"):
        c.score(0.6)


def test_a_calibration_stored_before_margins_scores_as_before():
    stored = {"a": 10.0, "b": -5.0, "threshold": 0.5, "known_queries": 3, "unknown_queries": 3,
              "heldout_accuracy": 1.0, "unknown_rejected": 1.0, "known_accepted": 1.0, "fallback": False}
    c = cal.Calibration.from_dict(stored)
    assert c.margin_weight == 0.0
    assert c.score(0.6) == pytest.approx(1 / (1 + np.exp(-1.0)))  # sigmoid(10 * 0.6 - 5)


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
        """(label, similarity, margin over the runner-up) of each query's best label."""
        out = []
        for row in qs @ gallery.T:
            order = np.argsort(-row)[:16]
            ranked = cal.class_scores(row[order], [labels[j] for j in order], 3)
            out.append((*ranked[0], cal.label_margins(ranked, row[order].min())[0]))
        return out

    def scores(tops):
        return c.score(np.array([s for _, s, _ in tops]), np.array([m for _, _, m in tops]))

    known_top = top(queries)
    right = np.array([lab == t for (lab, _, _), t in zip(known_top, q_labels)])
    p_known, p_unknown = scores(known_top), scores(top(unknown))
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
    (a,), b = cal.fit_platt(x, t)
    assert a == pytest.approx(3, abs=0.3) and b == pytest.approx(-1, abs=0.2)


def test_platt_recovers_a_known_two_feature_logistic():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8000, 2))
    t = rng.random(8000) < 1 / (1 + np.exp(-(3 * x[:, 0] - 2 * x[:, 1] + 0.5)))
    (a, m), b = cal.fit_platt(x, t)
    assert a == pytest.approx(3, abs=0.3) and m == pytest.approx(-2, abs=0.25) and b == pytest.approx(0.5, abs=0.15)


def styled_clusters(rng, centres, spreads, per_class, offset=0):
    """Clusters of unequal spread: some characters are drawn alike in every picture, some not."""
    x = np.vstack([c + s * rng.normal(size=(per_class, len(c))) / np.sqrt(len(c)) for c, s in zip(centres, spreads)])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), [f"c{offset + i}" for i in range(len(centres)) for _ in range(per_class)]


def test_the_margin_separates_strangers_better_than_similarity_alone():
    """Every picture shares one drawing style, each character adds its own features, and some
    characters vary more than others (as on real galleries). A loosely drawn known character then
    scores no higher than a stranger, but still leads its runner-up clearly, while a stranger is
    about as close to several labels. On fresh queries, over six galleries, the margin-aware fit
    separates strangers from enrolled characters better (AUROC) than the similarity-only fit of
    the same gallery, and always weighs the margin positively."""
    from animeid.evaluate.open_set import roc_auc

    gains = []
    for seed in range(6):
        rng = np.random.default_rng(seed)
        style = unit(rng, 1, dim=32)[0]

        def characters(n):
            c = 1.2 * style + unit(rng, n, dim=32)
            return c / np.linalg.norm(c, axis=1, keepdims=True), rng.uniform(0.4, 1.4, n)

        (known, known_spread), (strangers, stranger_spread) = characters(10), characters(5)
        gallery, labels = styled_clusters(rng, known, known_spread, 20)
        with_margin = cal.calibrate(gallery, labels, folds=5, neighbours=16, per_class=3)
        similarity_only = cal.calibrate(gallery, labels, folds=5, neighbours=16, per_class=3, margin=False)
        assert with_margin.margin_weight > 0 and similarity_only.margin_weight == 0.0

        def tops(queries):
            sims, margins = [], []
            for row in queries @ gallery.T:
                order = np.argsort(-row)[:16]
                ranked = cal.class_scores(row[order], [labels[j] for j in order], 3)
                sims.append(ranked[0][1])
                margins.append(cal.label_margins(ranked, row[order].min())[0])
            return np.array(sims), np.array(margins)

        (ks, km), (us, um) = tops(styled_clusters(rng, known, known_spread, 20)[0]), \
            tops(styled_clusters(rng, strangers, stranger_spread, 30, offset=100)[0])
        gains.append(roc_auc(with_margin.score(ks, km), with_margin.score(us, um))
                     - roc_auc(similarity_only.score(ks), similarity_only.score(us)))
    assert np.mean(gains) > 0.02


def test_a_margin_that_would_lower_confidence_is_not_used():
    """Isotropic clusters: the margin says nothing the similarity does not, and a free fit may give
    it a negative slope (a clear lead scored as less likely). Such a fit falls back to the
    similarity alone."""
    slopes = []
    for seed in range(6):
        rng = np.random.default_rng(seed)
        gallery, labels = clusters(rng, unit(rng, 8, dim=32), 30, spread=1.0)
        c = cal.calibrate(gallery, labels, folds=5, neighbours=16, per_class=3)
        assert c.margin_weight >= 0 and c.a > 0
        slopes.append(c.margin_weight)
    assert 0.0 in slopes  # at least one of these fits would have gone negative


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
    known_items = cal.heldout_top_scores(x, labels, 5, 16, 3, 1000).known_raw
    known_groups = cal.heldout_top_scores(x, labels, 5, 16, 3, 1000, groups=groups).known_raw
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
    h = cal.heldout_top_scores(x, labels, 5, 32, 3, 3000)
    known_raw, ok = h.known_raw, h.known_ok
    c = cal.calibrate(x, labels)
    assert ok.all() and c.score(known_raw.min()) == pytest.approx(0.5)
    assert c.score(1.0) > 0.5 > c.score(known_raw.min() - 0.1)


@pytest.mark.parametrize("source, group", [
    ("clip.mp4@12.5", "clip.mp4"), ("a@b/clip.mkv@3", "a@b/clip.mkv"),
    ("user@host/gallery/1.png", "user@host/gallery/1.png"), ("THE iDOLM@STER/2.png", "THE iDOLM@STER/2.png"),
    ("plain.png", "plain.png")])
def test_only_a_number_after_the_last_at_sign_marks_a_video_frame(source, group):
    assert cal.source_group(source) == group


def test_a_small_gallery_calibrates_on_the_similarity_alone():
    """Under MARGIN_MIN_RIGHT right held-out answers the margin gets no slope: a two-feature fit on
    a handful of answers chased noise (a title gallery of one clip per title fitted a negative
    similarity slope and answered every cross-episode frame "unknown")."""
    rng = np.random.default_rng(7)
    x, labels = clusters(rng, unit(rng, 3, dim=32), 5, spread=0.6)   # 15 items: at most 15 right
    c = cal.calibrate(x, labels, folds=5, neighbours=16, per_class=3)
    assert c.known_queries <= 15 < cal.MARGIN_MIN_RIGHT
    assert c.margin_weight == 0.0 and c.a > 0 and not c.fallback

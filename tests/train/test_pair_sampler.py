"""The on-the-fly pair sampler: class-balanced batches, as many negatives as positives, hardest
negatives first, and an exactly replayable random state."""
import numpy as np
import pytest

from animeid.errors import AnimeidError
from animeid.train.pair_sampler import ClassBalancedPairSampler, batch_pairs

# Very unbalanced classes: 100, 10 and 3 images, plus 4 and 5.
LABELS = np.array([0] * 100 + [1] * 10 + [2] * 3 + [3] * 4 + [4] * 5)


def test_batches_are_class_balanced():
    s = ClassBalancedPairSampler(LABELS, classes_per_batch=4, images_per_class=4, seed=1)
    seen = np.zeros(5)
    for _ in range(500):
        idx = s.batch()
        labels = LABELS[idx]
        values, counts = np.unique(labels, return_counts=True)
        assert len(values) == 4 and set(counts) == {4}
        seen[values] += 1
    # each class is drawn in 4/5 of the batches whatever its size: 400 +- sampling noise
    assert np.all(np.abs(seen - 400) < 40), seen


def test_as_many_negatives_as_positives_and_labels_right():
    labels = np.repeat(np.arange(8), 4)  # 8 classes x 4: 48 positive pairs, 448 negative
    i, j, y = batch_pairs(labels, np.random.default_rng(0))
    assert (y == 0).sum() == 48 and (y == 1).sum() == 48
    assert np.all((labels[i] == labels[j]) == (y == 0))
    assert len(set(zip(i.tolist(), j.tolist()))) == len(i)  # no pair twice


def test_hard_negatives_are_the_closest_different_class_pairs():
    labels = np.array([0, 0, 1, 1])
    d = np.array([[0, 1, 9, 0.2], [1, 0, 8, 7], [9, 8, 0, 1], [0.2, 7, 1, 0]], dtype=float)
    i, j, y = batch_pairs(labels, np.random.default_rng(0), hard_negative_fraction=1.0, distances=d)
    negatives = sorted(zip(i[y == 1].tolist(), j[y == 1].tolist()))
    # two positives (0,1) and (2,3); the two closest negatives are (0,3) at 0.2 and (1,3) at 7
    assert negatives == [(0, 3), (1, 3)]


def test_replay_after_restoring_state():
    a = ClassBalancedPairSampler(LABELS, 3, 2, seed=5)
    for _ in range(7):
        a.batch()
    state = a.state_dict()
    expected = [a.batch().tolist() for _ in range(3)]
    b = ClassBalancedPairSampler(LABELS, 3, 2, seed=99)
    b.load_state_dict(state)
    assert [b.batch().tolist() for _ in range(3)] == expected


def test_class_with_one_image_is_refused():
    with pytest.raises(AnimeidError, match="fewer than 2 images"):
        ClassBalancedPairSampler(np.array([0, 0, 1]))


def test_single_class_is_refused():
    with pytest.raises(AnimeidError, match="at least 2 classes"):
        ClassBalancedPairSampler(np.array([0, 0, 0]))

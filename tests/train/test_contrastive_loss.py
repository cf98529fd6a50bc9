"""S1's contrastive loss L = 1/2 (1-Y) D^2 + 1/2 Y max(0, m - D)^2 against values worked by hand."""
import math

import pytest

torch = pytest.importorskip("torch")

from animeid.train.balanced_reducer import BalancedReducer  # noqa: E402
from animeid.train.contrastive_loss import ContrastiveLoss  # noqa: E402
from animeid.train.euclidean_distance import EuclideanDistance  # noqa: E402
from animeid.train.mean_reducer import MeanReducer  # noqa: E402


def test_euclidean_distance_3_4_5():
    a = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    b = torch.tensor([[3.0, 4.0], [1.0, 1.0]])
    d = EuclideanDistance().pairwise(a, b)
    assert d[0].item() == pytest.approx(5.0)
    assert d[1].item() == pytest.approx(0.0, abs=1e-5)
    m = EuclideanDistance().matrix(a, b)
    assert m[0, 0].item() == pytest.approx(5.0)
    assert m[0, 1].item() == pytest.approx(math.sqrt(2))
    assert m[1, 0].item() == pytest.approx(math.sqrt(4 + 9))


def test_similar_pair_costs_half_squared_distance():
    loss = ContrastiveLoss(margin=6.0, reducer=MeanReducer())
    # D = 5, Y = 0: 1/2 * 25 = 12.5
    assert loss(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]]), torch.tensor([0])).item() == pytest.approx(12.5)


def test_different_pair_inside_margin_costs_half_squared_shortfall():
    loss = ContrastiveLoss(margin=6.0, reducer=MeanReducer())
    # D = 5, Y = 1, m = 6: 1/2 * (6 - 5)^2 = 0.5
    assert loss(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]]), torch.tensor([1])).item() == pytest.approx(0.5)


def test_different_pair_beyond_margin_costs_nothing():
    loss = ContrastiveLoss(margin=4.0, reducer=MeanReducer())
    assert loss(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]]), torch.tensor([1])).item() == 0.0


def test_mean_and_balanced_reducers_by_hand():
    d = torch.tensor([1.0, 3.0, 0.5, 2.0])
    y = torch.tensor([0, 0, 0, 1])
    # per pair with m = 1: 0.5, 4.5, 0.125 (similar) and 0 (different, D = 2 > m)
    per = ContrastiveLoss(1.0).per_pair(d, y)
    assert per.tolist() == pytest.approx([0.5, 4.5, 0.125, 0.0])
    assert ContrastiveLoss(1.0, reducer=MeanReducer()).from_distances(d, y).item() == pytest.approx(5.125 / 4)
    # balanced: (mean of similar + mean of different) / 2 = (5.125 / 3 + 0) / 2
    assert ContrastiveLoss(1.0, reducer=BalancedReducer()).from_distances(d, y).item() == pytest.approx(5.125 / 6)


def test_gradient_is_finite_for_identical_embeddings():
    a = torch.ones(2, 4, requires_grad=True)
    b = torch.ones(2, 4)
    loss = ContrastiveLoss(1.0)(a, b, torch.tensor([0, 1]))
    loss.backward()
    assert loss.item() == pytest.approx(0.25, abs=1e-5)  # (0 + 1/2 * (1 - 0)^2) / 2 groups
    assert torch.isfinite(a.grad).all()


def test_margin_must_be_positive():
    with pytest.raises(ValueError):
        ContrastiveLoss(0.0)

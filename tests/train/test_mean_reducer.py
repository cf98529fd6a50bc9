import pytest

torch = pytest.importorskip("torch")

from animeid.train.mean_reducer import MeanReducer  # noqa: E402


def test_plain_weighted_and_empty():
    losses = torch.tensor([[1.0, 3.0], [5.0, 7.0]])
    assert MeanReducer()(losses).item() == pytest.approx(4.0)
    # per-row weights 1 and 3: (1 + 3 + 3 * (5 + 7)) / (2 * 1 + 2 * 3) = 40 / 8
    assert MeanReducer()(losses, weights=torch.tensor([1.0, 3.0])).item() == pytest.approx(5.0)
    # labels are accepted (pair losses pass them) and ignored by a plain mean
    assert MeanReducer()(torch.tensor([2.0, 4.0]), torch.tensor([0, 1])).item() == pytest.approx(3.0)
    assert MeanReducer()(torch.zeros(0)).item() == 0.0

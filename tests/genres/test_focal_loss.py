"""Binary focal loss against hand-computed values."""
import math

import pytest

torch = pytest.importorskip("torch")

from animeid.genres.binary_focal_loss import BinaryFocalLoss  # noqa: E402
from animeid.train.mean_reducer import MeanReducer  # noqa: E402


def test_focal_loss_hand_computed():
    # logit 0 (p=.5), y=1: bce=ln2, (1-.5)^2=.25, alpha .25 -> .25*.25*ln2
    # logit ln3 (p=.75), y=0: p_t=.25, bce=ln4, (1-.25)^2=.5625, alpha_t .75 -> .75*.5625*ln4
    a = 0.25 * 0.25 * math.log(2)
    b = 0.75 * 0.5625 * math.log(4)
    loss = BinaryFocalLoss(gamma=2.0, alpha=0.25)
    logits = torch.tensor([[0.0, math.log(3)]])
    y = torch.tensor([[1.0, 0.0]])
    assert loss.elementwise(logits, y).flatten().tolist() == pytest.approx([a, b], rel=1e-5)
    assert float(loss(logits, y)) == pytest.approx((a + b) / 2, rel=1e-5)
    assert a == pytest.approx(0.0433217, rel=1e-5) and b == pytest.approx(0.5848429, rel=1e-5)


def test_gamma_zero_without_alpha_is_bce():
    logits = torch.tensor([[2.0, -1.0], [0.3, 0.0]])
    y = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, y)
    assert float(BinaryFocalLoss(gamma=0.0, alpha=None)(logits, y)) == pytest.approx(float(bce), rel=1e-6)


def test_reducer_is_pluggable_and_weights_rows():
    class SumReducer:
        def __call__(self, losses, weights=None):
            return losses.sum()

    logits = torch.tensor([[0.0], [0.0]])
    y = torch.tensor([[1.0], [1.0]])
    one = 0.25 * 0.25 * math.log(2)
    assert float(BinaryFocalLoss(reducer=SumReducer())(logits, y)) == pytest.approx(2 * one, rel=1e-5)
    # a weighted mean with weights 1 and 0 is just the first row's loss
    logits2 = torch.tensor([[0.0], [5.0]])
    w = torch.tensor([1.0, 0.0])
    assert float(BinaryFocalLoss(reducer=MeanReducer())(logits2, y, w)) == pytest.approx(one, rel=1e-5)


def test_invalid_parameters_rejected():
    with pytest.raises(ValueError):
        BinaryFocalLoss(gamma=-1)
    with pytest.raises(ValueError):
        BinaryFocalLoss(alpha=1.5)

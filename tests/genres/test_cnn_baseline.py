"""S4's small CNN: the architecture it describes, and that it trains on a tiny generated set."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from animeid.genres.cnn_baseline import build_small_cnn, cnn_scores, small_cnn_fit, train_small_cnn  # noqa: E402
from animeid.genres.config import SmallCnnCfg  # noqa: E402


def test_architecture_matches_s4():
    net = build_small_cnn(5, 64)
    convs = [m for m in net if isinstance(m, torch.nn.Conv2d)]
    pools = [m for m in net if isinstance(m, torch.nn.MaxPool2d)]
    dense = [m for m in net if isinstance(m, torch.nn.Linear)]
    assert [c.out_channels for c in convs] == [32, 64, 128] and all(c.kernel_size == (3, 3) for c in convs)
    assert len(pools) == 3 and all(p.kernel_size == 2 for p in pools)
    # 64 -> 62 -> 31 -> 29 -> 14 -> 12 -> 6: 128*6*6 inputs to the dense 128 layer
    assert [(d.in_features, d.out_features) for d in dense] == [(128 * 6 * 6, 128), (128, 5)]
    assert net(torch.zeros(2, 3, 64, 64)).shape == (2, 5)


def test_learns_colour_genres():
    rng = np.random.default_rng(0)
    y = np.zeros((48, 2), dtype=np.uint8)
    y[:24, 0] = 1
    y[24:, 1] = 1
    pix = rng.random((48, 3, 32, 32)).astype(np.float32) * 0.2
    pix[:24, 0] += 0.8  # "red" posters are genre 0
    pix[24:, 2] += 0.8  # "blue" posters are genre 1
    cfg = SmallCnnCfg(input_size=32, epochs=8, batch_size=16)
    s = cnn_scores(train_small_cnn(pix, y, cfg), pix)
    assert ((s[:, 0] > s[:, 1]) == (y[:, 0] == 1)).mean() > 0.9
    score_fn, th = small_cnn_fit(pix, cfg)(np.arange(48), y)
    assert th.shape == (2,) and score_fn(np.arange(4)).shape == (4, 2)

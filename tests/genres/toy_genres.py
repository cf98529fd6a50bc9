"""A learnable, separable multi-label toy problem on synthetic features, for the genre tests."""
import numpy as np


def toy_genres(seed: int = 0, n: int = 60, d: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Genre j (of 3) is present when feature j is high; every row has at least one genre."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (x[:, :3] > 0.6).astype(np.uint8)
    y[y.sum(axis=1) == 0, 0] = 1
    x[:, :3] += 2.0 * y
    return x, y

import numpy as np
import pytest

from animeid.errors import AnimeidError
from animeid.features.registry import create_embedder, get_embedder_cfg, list_embedders


def test_builtins_are_registered_with_typed_configs():
    names = list_embedders()
    assert {"efficientnet-lite0", "efficientnet-lite1", "efficientnet-lite2", "color-layout"} <= set(names)
    lite0 = get_embedder_cfg("efficientnet-lite0")
    assert (lite0.input_size, lite0.dim, lite0.metric) == (224, 1280, "cosine")
    assert len(lite0.weights_sha256) == 64
    assert get_embedder_cfg("efficientnet-lite1").input_size == 240
    assert get_embedder_cfg("efficientnet-lite2").input_size == 260
    assert get_embedder_cfg("color-layout").dim == 33


def test_unknown_embedder_is_a_clear_error():
    with pytest.raises(AnimeidError, match="unknown embedder 'nope'"):
        create_embedder("nope")


def test_lite0_embeds_normalised_and_discriminates(rng):
    emb = create_embedder("efficientnet-lite0")
    a = rng.integers(0, 255, (120, 200, 3), dtype=np.uint8)
    b = np.zeros((120, 200, 3), np.uint8)
    b[:, 100:] = (255, 0, 0)
    v = emb.embed([a, a, b])
    assert v.shape == (3, 1280) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > 0.999        # same image, same vector
    assert v[0] @ v[2] < 0.9          # different images differ


def test_onnx_export_matches_torch():
    torch = pytest.importorskip("torch")
    from animeid.features.efficientnet_lite import build_torch_backbone

    emb = create_embedder("efficientnet-lite0")
    img = (np.arange(224 * 224 * 3) % 251).astype(np.uint8).reshape(224, 224, 3)
    x = emb.preprocess([img])
    with torch.no_grad():
        ref = build_torch_backbone("efficientnet-lite0")(torch.from_numpy(x)).numpy()
    out = emb.forward_tensor(x)
    assert np.allclose(out, ref, atol=1e-3, rtol=1e-3)

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


# -- user embedders: names, atomic registration, damaged folders ----------------------------------

@pytest.fixture
def user_dir(tmp_path, monkeypatch):
    folder = tmp_path / "embedders"
    monkeypatch.setenv("ANIMEID_EMBEDDERS", str(folder))
    return folder


def tiny_onnx(path):
    """A 3-dim 'embedder': global average pooling of the 8x8 input, written with onnx.helper."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("GlobalAveragePool", ["x"], ["p"]), helper.make_node("Flatten", ["p"], ["y"])], "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def tiny_cfg(name="tiny", dim=3):
    from animeid.config import EmbedderCfg

    return EmbedderCfg(name=name, input_size=8, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), dim=dim)


def test_register_then_embed_and_never_replace_without_force(user_dir, tmp_path):
    from animeid.features.registry import register_onnx_embedder

    onnx_file = tiny_onnx(tmp_path / "t.onnx")
    register_onnx_embedder("tiny", onnx_file, tiny_cfg())
    assert create_embedder("tiny").embed([np.zeros((20, 20, 3), np.uint8)]).shape == (1, 3)
    before = (user_dir / "tiny" / "embedder.json").read_text()
    with pytest.raises(AnimeidError, match="an embedder named 'tiny' already exists.*--force"):
        register_onnx_embedder("tiny", onnx_file, tiny_cfg(dim=3), {"other": 1})
    assert (user_dir / "tiny" / "embedder.json").read_text() == before
    register_onnx_embedder("tiny", onnx_file, tiny_cfg(), {"other": 1}, force=True)
    assert '"other": 1' in (user_dir / "tiny" / "embedder.json").read_text()
    assert sorted(p.name for p in user_dir.iterdir()) == ["tiny"]  # no temp or old folder left


@pytest.mark.parametrize("name", ["", "../evil", "a b", ".hidden", "-x", "a/b", "efficientnet-lite0", "x" * 65])
def test_unsafe_or_builtin_names_are_refused(user_dir, tmp_path, name):
    from animeid.features.registry import check_embedder_name, register_onnx_embedder

    with pytest.raises(AnimeidError, match="invalid embedder name|is a built-in embedder"):
        check_embedder_name(name)
    with pytest.raises(AnimeidError, match="invalid embedder name|is a built-in embedder"):
        register_onnx_embedder(name, tmp_path / "unused.onnx", tiny_cfg())
    assert not (tmp_path / "evil").exists() and (not user_dir.exists() or list(user_dir.iterdir()) == [])


def test_a_failed_registration_leaves_nothing(user_dir, tmp_path):
    from animeid.features.registry import register_onnx_embedder

    with pytest.raises(AnimeidError, match="cannot register embedder 'gone'"):
        register_onnx_embedder("gone", tmp_path / "missing.onnx", tiny_cfg())
    assert list(user_dir.iterdir()) == []


def _truncate(path):
    path.write_bytes(path.read_bytes()[:40])


def _forget_size(folder):
    import json

    meta = json.loads((folder / "embedder.json").read_text())
    del meta["onnx_bytes"]
    (folder / "embedder.json").write_text(json.dumps(meta))


DAMAGE = {
    "no-onnx": (lambda f: (f / "model.onnx").unlink(), "model.onnx is missing"),
    "truncated": (lambda f: _truncate(f / "model.onnx"), "model.onnx is 40 bytes, .* when it was registered"),
    # registered before the size was recorded: only loading the graph finds it out
    "legacy-truncated": (lambda f: _forget_size(f) or _truncate(f / "model.onnx"), "model.onnx cannot be loaded"),
    "bad-json": (lambda f: (f / "embedder.json").write_text("{bad"), "embedder.json is not valid JSON"),
    "empty-json": (lambda f: (f / "embedder.json").write_text("{}"), "has no valid config"),
    "no-json": (lambda f: (f / "embedder.json").unlink(), "embedder.json is missing"),
    "silly-cfg": (lambda f: (f / "embedder.json").write_text(
        '{"cfg": {"name": "x", "input_size": -1, "mean": [0, 0, 0], "std": [1, 1, 1], "dim": 3}}'),
        "implausible config"),
}


@pytest.fixture
def damaged(user_dir, tmp_path):
    from animeid.features.registry import register_onnx_embedder

    onnx_file = tiny_onnx(tmp_path / "t.onnx")
    register_onnx_embedder("good", onnx_file, tiny_cfg("good"))
    for name, (damage, _) in DAMAGE.items():
        damage(register_onnx_embedder(name, onnx_file, tiny_cfg(name)))
    return user_dir


@pytest.mark.parametrize("name", sorted(DAMAGE))
def test_a_damaged_embedder_is_one_clear_error(damaged, name):
    expected = f"embedder '{name}' is damaged: .*{DAMAGE[name][1]}.*; re-export it"
    with pytest.raises(AnimeidError, match=expected):
        create_embedder(name)
    if name != "legacy-truncated":  # without a recorded size, a truncated graph is only found when loaded
        with pytest.raises(AnimeidError, match=expected):
            get_embedder_cfg(name)


def test_listing_shows_damaged_embedders_as_broken(damaged, capsys):
    from animeid.cli.main import main

    assert set(DAMAGE) | {"good", "efficientnet-lite0"} <= set(list_embedders())
    assert main(["embedders"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "metric cosine" in lines["good"] and "metric cosine" in lines["efficientnet-lite0"]
    for name in DAMAGE:    # the legacy folder too: listing loads a graph whose size was never recorded
        assert f"BROKEN: embedder '{name}' is damaged" in lines[name]


def test_an_unusable_cache_folder_is_one_line(tmp_path, monkeypatch, capsys):
    from animeid.cli.main import main

    (tmp_path / "afile").write_text("x")
    monkeypatch.setenv("ANIMEID_CACHE", str(tmp_path / "afile" / "cache"))
    monkeypatch.delenv("ANIMEID_EMBEDDERS", raising=False)
    assert main(["embedders"]) == 2
    err = capsys.readouterr().err
    assert "not a usable cache folder" in err and "ANIMEID_CACHE" in err


def test_a_damaged_cached_export_is_exported_again(tmp_path, monkeypatch, capsys):
    """A truncated ONNX file in the cache (disk full, a bad copy) used to fail every command."""
    import os
    import stat

    from animeid.features.efficientnet_lite import cached_onnx_path, sha256_file, weights_path

    monkeypatch.setenv("ANIMEID_CACHE", str(tmp_path / "cache"))
    path = cached_onnx_path("efficientnet-lite0", sha256_file(weights_path("efficientnet-lite0")))
    path.write_bytes(b"\x08\x01" + b"0" * 1000)
    embedder = create_embedder("efficientnet-lite0")
    assert embedder.embed([np.zeros((64, 64, 3), np.uint8)]).shape == (1, 1280)
    assert "exporting it again" in capsys.readouterr().err and path.stat().st_size > 1_000_000
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # readable by a service account too

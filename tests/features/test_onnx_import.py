"""`import_onnx_embedder` / `animeid embedders add`: small graphs built with onnx.helper stand in for
a user's CLIP or DINOv2 export; the registered embedder's vectors are checked against the graph's
arithmetic done by hand."""
import numpy as np
import pytest

from animeid.cli.main import main
from animeid.errors import AnimeidError
from animeid.features.registry import create_embedder, get_embedder_cfg, list_embedders
from tests.features.onnx_graphs import PROJECTION, TensorProto, onnx, projection_graph


@pytest.fixture
def embedders(tmp_path, monkeypatch):
    folder = tmp_path / "embedders"
    monkeypatch.setenv("ANIMEID_EMBEDDERS", str(folder))
    return folder


def test_added_graph_embeds_as_worked_out_by_hand(tmp_path, embedders, capsys):
    model = projection_graph(tmp_path / "tower.onnx")
    assert main(["embedders", "add", "my-tower", str(model), "--mean", "0.5,0.5,0.5", "--std", "0.25,0.25,0.25"]) == 0
    assert "registered embedder 'my-tower': input 32px, dim 4" in capsys.readouterr().out
    cfg = get_embedder_cfg("my-tower")
    assert (cfg.input_size, cfg.dim, cfg.metric, cfg.mean, cfg.std) == (32, 4, "cosine", (0.5,) * 3, (0.25,) * 3)
    assert len(cfg.weights_sha256) == 64 and "my-tower" in list_embedders()

    # a flat colour image: every pixel (255, 0, 51) -> normalised channel means (2, -2, -1.2)
    image = np.zeros((32, 32, 3), np.uint8)
    image[..., 0], image[..., 2] = 255, 51
    means = np.array([(1.0 - 0.5) / 0.25, (0.0 - 0.5) / 0.25, (0.2 - 0.5) / 0.25], np.float32)
    raw = means @ PROJECTION            # (2 - 1.2, -2 - 1.2, 4 + 2, 1 - 1 + 1.2) = (0.8, -3.2, 6, 1.2)
    assert np.allclose(raw, [0.8, -3.2, 6.0, 1.2], atol=1e-5)
    vec = create_embedder("my-tower").embed([image])[0]
    assert np.allclose(vec, raw / np.linalg.norm(raw), atol=1e-5)

    assert main(["embedders"]) == 0
    assert "my-tower" in capsys.readouterr().out and main(["embedders", "list"]) == 0


def test_dynamic_input_size_needs_to_be_given(tmp_path, embedders, capsys):
    model = projection_graph(tmp_path / "dyn.onnx", input_shape=("n", 3, "h", "w"))
    assert main(["embedders", "add", "dyn", str(model)]) == 2
    assert "pass --input-size" in capsys.readouterr().err
    assert main(["embedders", "add", "dyn", str(model), "--input-size", "48"]) == 0
    assert get_embedder_cfg("dyn").input_size == 48
    assert get_embedder_cfg("dyn").mean == (0.485, 0.456, 0.406)


@pytest.mark.parametrize("make, expected", [
    (lambda p: projection_graph(p, input_shape=(1, 3, 32, 32)), "batch size is fixed at 1"),
    (lambda p: projection_graph(p, pool=False), "a map or a token sequence"),
    (lambda p: projection_graph(p, input_type=TensorProto.INT64), "float32 batch of RGB images"),
    (lambda p: projection_graph(p, input_shape=("n", 1, 32, 32), pool=False), "has 1 channels"),
    (lambda p: projection_graph(p, input_shape=("n", 3, 32, 48)), "animeid feeds square images"),
    (lambda p: projection_graph(p, extra_input=True), "takes 2 inputs"),
    (lambda p: p.write_bytes(b"not a protobuf at all") and p, "not an ONNX graph onnxruntime can load"),
    (lambda p: p.write_bytes(b"") or p, "is empty (0 bytes)"),
    (lambda p: p.mkdir() or p, "is a folder"),
    (lambda p: p, "no such file"),
])
def test_graphs_that_cannot_serve_are_refused_and_nothing_is_registered(tmp_path, embedders, capsys,
                                                                         make, expected):
    path = make(tmp_path / "bad.onnx")
    assert main(["embedders", "add", "bad", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("animeid: error:") and expected in err and err.count("\n") == 1
    assert "bad" not in list_embedders()


def test_given_input_size_must_agree_with_the_graph(tmp_path, embedders):
    from animeid.features.onnx_import import import_onnx_embedder

    with pytest.raises(AnimeidError, match="input is 32 px, not --input-size 64"):
        import_onnx_embedder("x", projection_graph(tmp_path / "g.onnx"), input_size=64)


@pytest.mark.parametrize("kwargs, expected", [
    ({"std": (0.2, 0.0, 0.2)}, "must be above 0"),
    ({"mean": (0.5, float("nan"), 0.5)}, "three finite numbers"),
    ({"metric": "dot"}, "cosine or l2"),
])
def test_bad_normalisation_is_refused(tmp_path, embedders, kwargs, expected):
    from animeid.features.onnx_import import import_onnx_embedder

    with pytest.raises(AnimeidError, match=expected):
        import_onnx_embedder("x", projection_graph(tmp_path / "g.onnx"), **kwargs)
    assert "x" not in list_embedders()


def test_names_are_checked_and_an_existing_embedder_is_kept(tmp_path, embedders, capsys):
    first = projection_graph(tmp_path / "a.onnx")
    assert main(["embedders", "add", "tower", str(first)]) == 0
    sha = get_embedder_cfg("tower").weights_sha256
    second = projection_graph(tmp_path / "b.onnx", input_shape=("n", 3, 64, 64))
    assert main(["embedders", "add", "tower", str(second)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert get_embedder_cfg("tower").weights_sha256 == sha            # untouched
    assert main(["embedders", "add", "efficientnet-lite0", str(first)]) == 2
    assert "built-in" in capsys.readouterr().err
    assert main(["embedders", "add", "../escape", str(first)]) == 2
    assert "invalid embedder name" in capsys.readouterr().err
    assert main(["embedders", "add", "tower", str(second), "--force"]) == 0
    assert get_embedder_cfg("tower").input_size == 64


def test_mean_option_must_be_three_numbers(tmp_path, embedders, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["embedders", "add", "x", str(projection_graph(tmp_path / "g.onnx")), "--mean", "0.5,0.5"])
    assert exc.value.code == 2 and "give three" in capsys.readouterr().err


def test_a_real_backbone_added_by_file_embeds_like_the_built_in_one(tmp_path, embedders, rng):
    """The cached ONNX export of Lite0, added as a user's file with Lite0's normalisation, gives the
    built-in embedder's vectors: nothing in the import path changes what the graph computes."""
    from animeid.features.efficientnet_lite import ensure_onnx

    graph, _ = ensure_onnx("efficientnet-lite0")
    lite0 = get_embedder_cfg("efficientnet-lite0")
    assert main(["embedders", "add", "lite0-by-file", str(graph), "--mean", ",".join(map(str, lite0.mean)),
                 "--std", ",".join(map(str, lite0.std))]) == 0
    cfg = get_embedder_cfg("lite0-by-file")
    assert (cfg.input_size, cfg.dim) == (224, 1280)       # both read from the graph itself
    images = [rng.integers(0, 256, (90, 160, 3), dtype=np.uint8) for _ in range(3)]
    assert np.allclose(create_embedder("lite0-by-file").embed(images), create_embedder("efficientnet-lite0").embed(images),
                       atol=1e-5)


def test_a_graph_with_its_weights_in_a_side_file_is_refused(tmp_path, embedders, capsys):
    """CLIP and DINOv2 towers are often saved as model.onnx + model.onnx.data: it loaded beside its
    data, was registered without it, and then failed at every use as a "damaged" embedder."""
    model = onnx.load(str(projection_graph(tmp_path / "whole.onnx")))
    onnx.save_model(model, str(tmp_path / "split.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="split.onnx.data", size_threshold=0)
    assert (tmp_path / "split.onnx.data").stat().st_size > 0
    assert main(["embedders", "add", "split", str(tmp_path / "split.onnx")]) == 2
    err = capsys.readouterr().err
    assert "keeps its weights in separate files (ONNX external data)" in err and err.count("\n") == 1
    assert "split" not in list_embedders()
    assert main(["embedders", "add", "whole", str(tmp_path / "whole.onnx")]) == 0   # the same graph in one file

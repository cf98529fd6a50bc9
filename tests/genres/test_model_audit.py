"""A user embedder re-registered with other preprocessing (the model check and the embedding cache
used to accept it), the eval threshold curve under the genre cap, and `predict --model` pointing
at a missing folder or a file."""
import numpy as np
import pytest

from animeid.cli.main import main
from animeid.genres.config import GenreCfg
from animeid.genres.crossval import cross_validate, default_fit
from animeid.genres.errors import IncompatibleGenreModel
from animeid.genres.genre_model import check_embedders
from tests.features.onnx_graphs import projection_graph
from tests.genres.toy_genres import poster_folder, toy_genres


@pytest.fixture
def myemb(tmp_path, monkeypatch):
    """A user embedder `myemb` (ImageNet-like normalisation) in a temporary embedders folder and cache."""
    monkeypatch.setenv("ANIMEID_EMBEDDERS", str(tmp_path / "embedders"))
    monkeypatch.setenv("ANIMEID_CACHE", str(tmp_path / "cache"))
    graph = projection_graph(tmp_path / "model.onnx")
    assert main(["embedders", "add", "myemb", str(graph), "--mean", "0.1,0.2,0.3", "--std", "0.2,0.2,0.2"]) == 0
    return graph


def _reregister(graph, mean="0.5,0.5,0.5", std="0.5,0.5,0.5"):
    assert main(["embedders", "add", "myemb", str(graph), "--force", "--mean", mean, "--std", std]) == 0


def test_a_model_refuses_an_embedder_re_registered_with_other_normalisation(myemb, tmp_path, capsys):
    posters = poster_folder(tmp_path / "data")
    assert main(["genres", "train", str(posters), "--model", str(tmp_path / "m"), "--embedder", "myemb",
                 "--quiet"]) == 0
    image = str(tmp_path / "data" / "images" / "action0.png")
    assert main(["genres", "predict", image, "--model", str(tmp_path / "m")]) == 0
    _reregister(myemb)
    capsys.readouterr()
    assert main(["genres", "predict", image, "--model", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("animeid: error: ") and err.count("\n") == 1
    assert "trained with another 'myemb' embedder (mean [0.1, 0.2, 0.3] vs (0.5, 0.5, 0.5) here)" in err


def test_cached_embeddings_are_not_reused_after_re_registration(myemb, tmp_path):
    from animeid.genres.embeddings import embed_files

    posters = poster_folder(tmp_path / "data", per_genre=2)
    paths = sorted((posters.parent / "images").glob("*.png"))
    before = embed_files(paths, ["myemb"], ("full",))
    _reregister(myemb)
    after = embed_files(paths, ["myemb"], ("full",))
    fresh = embed_files(paths, ["myemb"], ("full",), use_cache=False)
    assert not np.allclose(before, fresh, atol=1e-3)   # the normalisation does move these vectors
    assert np.allclose(after, fresh, atol=1e-6)


def test_a_running_process_loads_a_re_registered_embedder_anew(myemb, tmp_path):
    """The web service keeps embedders loaded: it must not embed with the old normalisation once
    the model check (which reads the current config) has passed."""
    from animeid.features.registry import create_embedder
    from animeid.genres.embeddings import embed_images

    image = np.zeros((40, 30, 3), np.uint8)
    image[..., 0] = 200
    first = embed_images([image], ["myemb"], ("full",))
    _reregister(myemb)
    second = embed_images([image], ["myemb"], ("full",))
    expected = create_embedder("myemb").embed([image])
    assert not np.allclose(first, second, atol=1e-3)
    assert np.allclose(second / np.linalg.norm(second), expected / np.linalg.norm(expected), atol=1e-5)


@pytest.mark.parametrize("key,value", [("mean", [0.5, 0.5, 0.5]), ("std", [0.1, 0.1, 0.1]), ("metric", "l2"),
                                       ("input_size", 99), ("dim", 7), ("weights_sha256", "0" * 64)])
def test_every_field_that_changes_the_vectors_is_checked(key, value, tmp_path):
    from animeid.features.registry import get_embedder_cfg

    stored = get_embedder_cfg("color-layout").to_dict()
    stored = {**stored, "mean": list(stored["mean"]), "std": list(stored["std"])}   # as JSON gives them back
    if key == "metric":
        value = {"l2": "cosine", "cosine": "l2"}[stored["metric"]]
    check_embedders([stored], tmp_path)   # the same config, lists or tuples alike, passes
    with pytest.raises(IncompatibleGenreModel, match=f"trained with another 'color-layout' embedder \\({key} "):
        check_embedders([{**stored, key: value}], tmp_path)


# -- the threshold curve of `genres eval` under the cap ---------------------------------------------
def test_the_threshold_curve_applies_the_genre_cap():
    """With at most 1 and at least 1 genre, every threshold decides the same top genre: the curve
    is flat at the model's micro-F1. Before, it was the uncapped curve whatever the cap."""
    x, y = toy_genres(0, 60, 12)
    curves = {}
    for cap in (0, 1):
        cfg = GenreCfg(embedders=("color-layout",), inner_folds=3, max_predicted=cap)
        res = cross_validate(y, ["a", "b", "c"], {"model": default_fit(x, cfg)}, cfg, n_folds=3)["results"]["model"]
        curves[cap] = res["threshold_curve"]
        if cap == 1:
            assert res["threshold_curve"]["micro_f1"] == pytest.approx([res["micro_f1"]] * 45)
    assert curves[0]["micro_f1"] != curves[1]["micro_f1"]
    assert curves[0]["max_predicted_per_fold"] == [0, 0, 0] and curves[1]["max_predicted_per_fold"] == [1, 1, 1]


def test_the_pooled_curve_decides_each_fold_by_its_own_rule_by_hand():
    from animeid.genres.crossval import pooled_threshold_curve
    from animeid.genres.decision_rule import DecisionRule

    y = np.array([[1, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 1]])
    scores = np.array([[.9, .8, .1], [.7, .6, .2], [.2, .5, .4], [.1, .35, .9]])
    rules = [(np.array([0, 1]), DecisionRule(np.zeros(3), 1, 1)),   # fold 1: at most one genre
             (np.array([2, 3]), DecisionRule(np.zeros(3), 1, 0))]   # fold 2: no cap
    # 0.3: rows 0, 1 keep only their top genre; rows 2, 3 -> {1, 2}: tp 5, fp 1, fn 1 -> 10/12
    # 0.6: rows 0, 1 top genre; row 2 nothing >= 0.6, so its top one (1); row 3 {2}: tp 4, fp 0, fn 2 -> 8/10
    assert pooled_threshold_curve(y, scores, [0.3, 0.6], rules) == pytest.approx([10 / 12, 0.8])


# -- `predict --model` on a missing folder or a file ---------------------------------------------------
def test_predict_says_no_such_folder_or_a_file(tmp_path, capsys):
    assert main(["genres", "predict", "x.png", "--model", str(tmp_path / "nonexist")]) == 2
    assert f"{tmp_path / 'nonexist'}: no such folder" in capsys.readouterr().err
    (tmp_path / "m.json").write_text("{}")
    assert main(["genres", "predict", "x.png", "--model", str(tmp_path / "m.json")]) == 2
    assert f"{tmp_path / 'm.json'}: is a file, not a model folder" in capsys.readouterr().err
    assert main(["genres", "predict", "x.png", "--model", str(tmp_path)]) == 2
    assert "not a genre model (no model.json)" in capsys.readouterr().err

"""What a genre model may be saved over (and the mode it gets), and damaged model folders refused
with one line instead of a traceback."""
import json
import os
import stat

import numpy as np
import pytest

from animeid.cli.main import main
from animeid.errors import AnimeidError
from animeid.genres.config import GenreCfg
from animeid.genres.errors import IncompatibleGenreModel
from animeid.genres.genre_model import GenreModel
from animeid.genres.genre_vocabulary import GenreVocabulary
from animeid.genres.model_folder import check_model_target, check_output_folder
from animeid.genres.training import fit_genres
from tests.genres.toy_genres import poster_folder, toy_genres

CFG = GenreCfg(embedders=("color-layout",), views=("full",), inner_folds=3)  # color-layout: 33-d


@pytest.fixture(scope="module")
def model():
    x, y = toy_genres(0, 40, 8, width=33)
    fitted = fit_genres(x, y, CFG)
    return GenreModel(CFG, GenreVocabulary(["a", "b", "c"]), fitted.predictor, fitted.thresholds,
                      fitted.global_threshold)


def _siamese_folder(folder):
    """What `animeid train` writes (model.json + model.pt), plus a note a user put beside it."""
    folder.mkdir()
    (folder / "model.json").write_text(json.dumps({"arch": "siamese", "embedding_dim": 128}))
    (folder / "model.pt").write_bytes(b"weights")
    (folder / "README.txt").write_text("my notes")
    return folder


def _listing(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_save_refuses_a_foreign_model_folder(model, tmp_path):
    siam = _siamese_folder(tmp_path / "siam")
    before = _listing(siam)
    with pytest.raises(IncompatibleGenreModel, match="not empty and not a genre model"):
        model.save(siam)
    assert _listing(siam) == before


def test_save_refuses_a_genre_model_with_other_files_beside_it(model, tmp_path):
    model.save(tmp_path / "m")
    (tmp_path / "m" / "README.txt").write_text("keep me")
    with pytest.raises(IncompatibleGenreModel, match="also holds README.txt"):
        model.save(tmp_path / "m")
    assert (tmp_path / "m" / "README.txt").read_text() == "keep me"
    # a model.json without the genre format marker is not a genre model, whatever else is there
    (tmp_path / "m" / "README.txt").unlink()
    (tmp_path / "m" / "model.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(IncompatibleGenreModel, match="not a genre model"):
        model.save(tmp_path / "m")


def test_cli_train_refuses_a_foreign_folder_before_embedding(tmp_path, capsys, monkeypatch):
    import animeid.genres.embeddings as embeddings

    def no_embedding(*a, **k):
        raise AssertionError("embedded posters before checking --model")

    monkeypatch.setattr(embeddings, "embed_files", no_embedding)
    posters = poster_folder(tmp_path / "data")
    siam = _siamese_folder(tmp_path / "siam")
    before = _listing(siam)
    code = main(["genres", "train", str(posters), "--model", str(siam), "--embedder", "color-layout", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("animeid: error: ") and "not a genre model" in err
    assert _listing(siam) == before


def test_save_keeps_the_normal_folder_mode(model, tmp_path):
    old = os.umask(0o002)
    try:
        saved = model.save(tmp_path / "new")
    finally:
        os.umask(old)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o775  # 0777 & ~umask, not mkdtemp's 0700
    os.chmod(saved, 0o750)
    model.save(saved)  # replacing a model keeps the mode its folder had
    assert stat.S_IMODE(saved.stat().st_mode) == 0o750
    assert sorted(p.name for p in saved.iterdir()) == ["arrays.npz", "model.json"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp or old folder left


def test_failed_save_keeps_the_previous_model(model, tmp_path, monkeypatch):
    import pathlib

    folder = model.save(tmp_path / "m")
    before = _listing(folder)
    real_rename = pathlib.Path.rename

    def rename(self, target):
        if self.name.startswith(".m.tmp-"):
            raise OSError(28, "No space left on device")
        return real_rename(self, target)

    monkeypatch.setattr(pathlib.Path, "rename", rename)
    with pytest.raises(AnimeidError, match="cannot write the model .No space left on device"):
        model.save(folder)
    assert _listing(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_save_resolves_dot(model, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    assert model.save(".") == tmp_path / "here"
    assert GenreModel.load(tmp_path / "here").genres == ["a", "b", "c"]


def test_output_folders_under_a_file_are_refused(tmp_path):
    f = tmp_path / "posters.csv"
    f.write_text("image,genres\n")
    with pytest.raises(AnimeidError, match="exists and is not a folder"):
        check_output_folder(f, "--report")
    with pytest.raises(AnimeidError, match="is a file, so no folder can be made inside it"):
        check_model_target(f / "sub")
    assert check_output_folder(tmp_path / "a" / "b", "--report") == (tmp_path / "a" / "b").resolve()
    assert not (tmp_path / "a").exists()  # checking creates nothing


# -- damaged folders ------------------------------------------------------------------------------
def _damage_json(folder, meta):
    (folder / "model.json").write_text(json.dumps(meta))


def _arrays(folder):
    with np.load(folder / "arrays.npz") as z:
        return {k: z[k] for k in z.files}


def _cases():
    def only_format(f):
        _damage_json(f, {"format": "animeid-genres/1"})

    def a_list(f):
        _damage_json(f, ["animeid-genres/1"])

    def empty_npz(f):
        (f / "arrays.npz").write_bytes(b"")

    def wrong_keys(f):
        np.savez(f / "arrays.npz", foo=np.zeros(3))

    def truncated_coef(f):
        a = _arrays(f)
        a["head_coef"] = a["head_coef"][:, :10]
        np.savez(f / "arrays.npz", **a)

    def fewer_genres_in_memory(f):
        a = _arrays(f)
        a["memory_y"] = a["memory_y"][:, :2]
        np.savez(f / "arrays.npz", **a)

    def nan_weights(f):
        a = _arrays(f)
        a["head_intercept"][0] = np.nan
        np.savez(f / "arrays.npz", **a)

    def thresholds_short(f):
        meta = json.loads((f / "model.json").read_text())
        meta["thresholds"] = meta["thresholds"][:1]
        _damage_json(f, meta)

    def bad_setting(f):
        meta = json.loads((f / "model.json").read_text())
        meta["cfg"]["C"] = "strong"
        _damage_json(f, meta)

    def no_arrays(f):
        (f / "arrays.npz").unlink()

    return [(only_format, "lacks cfg"), (a_list, "JSON list, not a genre model"),
            (empty_npz, "arrays.npz: damaged"), (wrong_keys, "lacks 'memory_x'"),
            (truncated_coef, "'head_coef' is float64 3x10, expected 3x33"),
            (fewer_genres_in_memory, "'memory_y' .* expected 40x3"), (nan_weights, "NaN"),
            (thresholds_short, "thresholds are not 3 numbers"), (bad_setting, "settings: --C 'strong'"),
            (no_arrays, "no arrays.npz")]


@pytest.mark.parametrize("damage,message", _cases(), ids=lambda c: getattr(c, "__name__", ""))
def test_damaged_model_is_one_line_error(model, tmp_path, capsys, damage, message):
    folder = model.save(tmp_path / "m")
    damage(folder)
    with pytest.raises(IncompatibleGenreModel, match=message):
        GenreModel.load(folder)
    code = main(["genres", "predict", str(tmp_path / "x.png"), "--model", str(folder)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("animeid: error: ") and err.count("\n") == 1


def test_mlp_arrays_checked_layer_by_layer(tmp_path):
    x, y = toy_genres(1, 40, 8, width=33)
    cfg = CFG.replace(head="mlp", hidden=4, epochs=5)
    fitted = fit_genres(x, y, cfg)
    m = GenreModel(cfg, GenreVocabulary(["a", "b", "c"]), fitted.predictor, fitted.thresholds, 0.3)
    folder = m.save(tmp_path / "mlp")
    assert GenreModel.load(folder).predictor.scores(x).shape == (40, 3)
    a = _arrays(folder)
    a["head_w1"] = a["head_w1"][:, :3]  # the output layer no longer fits the 4 hidden units
    np.savez(folder / "arrays.npz", **a)
    with pytest.raises(IncompatibleGenreModel, match="'head_w1' is float32 3x3, expected 3x4"):
        GenreModel.load(folder)

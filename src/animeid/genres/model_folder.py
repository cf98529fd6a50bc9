"""Checks on the folders a genre command writes (model, report) and on a model folder it reads.

Writing: a command checks its output folders before the minutes of embedding and training, not
after, and a model is only ever written over a folder that holds nothing but an earlier genre model
(`model.json` with the genre format marker, `arrays.npz`): a siamese model folder also has a
`model.json`, and a README someone put beside a model is theirs, so either is refused, never deleted.
A symbolic link to a missing folder on the way to an output is refused too, never followed.

Reading: a model folder damaged by hand or by a broken copy must give one line naming the folder,
not a KeyError from deep inside prediction; so `model.json` and every array are checked against the
vocabulary size and the embedders' total dimension before the model is used."""
from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np

from animeid.errors import AnimeidError
from animeid.genres.errors import IncompatibleGenreModel
from animeid.output_folders import check_output_folder, existing_ancestor

FORMAT = "animeid-genres/1"
MODEL_FILES = ("model.json", "arrays.npz")


def _is_genre_meta(meta_file: Path) -> bool:
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(meta, dict) and meta.get("format") == FORMAT


def check_model_target(folder: Path | str, option: str = "--model") -> Path:
    """The resolved folder a model may be saved to: new, empty, or an earlier genre model and nothing else."""
    folder = check_output_folder(folder, option)
    if folder.parent == folder:
        raise AnimeidError(f"{option} {folder}: the root folder cannot hold a model")
    # Saving writes a sibling and renames it, so the parent must be writable too.
    anc = existing_ancestor(folder.parent)
    if not os.access(anc, os.W_OK | os.X_OK):
        raise AnimeidError(f"{option} {folder}: {anc} is not writable")
    if folder.is_dir():
        try:
            entries = sorted(p.name for p in folder.iterdir())
        except OSError as exc:
            raise AnimeidError(f"{option} {folder}: cannot be listed ({exc.strerror or exc})") from None
        if entries and not ("model.json" in entries and _is_genre_meta(folder / "model.json")):
            raise IncompatibleGenreModel(f"{folder}: not empty and not a genre model; refusing to overwrite it")
        extra = [e for e in entries if e not in MODEL_FILES]
        if extra:
            shown = ", ".join(extra[:5]) + (", ..." if len(extra) > 5 else "")
            raise IncompatibleGenreModel(f"{folder}: a genre model, but it also holds {shown}; refusing to "
                                         "overwrite them (move them away or choose another folder)")
    return folder


# -- reading ---------------------------------------------------------------------------------
def _damaged(folder: Path, what: str) -> IncompatibleGenreModel:
    return IncompatibleGenreModel(f"{folder}: damaged genre model ({what}); retrain it")


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and bool(np.isfinite(v))


def read_meta(folder: Path) -> dict:
    """model.json, checked for every field prediction needs; `cfg` comes back as a GenreCfg."""
    from animeid.genres.config import GenreCfg

    meta_file = folder / "model.json"
    if not folder.exists():
        raise IncompatibleGenreModel(f"{folder}: no such folder; give the folder 'animeid genres train' "
                                     "wrote (--model DIR)")
    if not folder.is_dir():
        raise IncompatibleGenreModel(f"{folder}: is a file, not a model folder; give the folder holding "
                                     "model.json and arrays.npz")
    if not meta_file.is_file():
        raise IncompatibleGenreModel(f"{folder}: not a genre model (no model.json); train one with "
                                     "'animeid genres train POSTERS --model DIR'")
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise IncompatibleGenreModel(f"{meta_file}: damaged ({exc})") from None
    except OSError as exc:
        raise IncompatibleGenreModel(f"{meta_file}: cannot be read ({exc.strerror or exc})") from None
    if not isinstance(meta, dict):
        raise IncompatibleGenreModel(f"{folder}: model.json is a JSON {type(meta).__name__}, not a genre model")
    if meta.get("format") != FORMAT:
        raise IncompatibleGenreModel(f"{folder}: format {meta.get('format')!r}, expected {FORMAT!r}")
    missing = [k for k in ("cfg", "vocabulary", "thresholds", "global_threshold", "embedders") if k not in meta]
    if missing:
        raise _damaged(folder, f"model.json lacks {', '.join(missing)}")
    if not isinstance(meta["cfg"], dict):
        raise _damaged(folder, "cfg is not an object")
    try:
        meta["cfg"] = GenreCfg.from_dict(meta["cfg"])
    except (AnimeidError, TypeError, ValueError) as exc:
        raise _damaged(folder, f"settings: {exc}") from None
    vocab = meta["vocabulary"]
    genres = vocab.get("genres") if isinstance(vocab, dict) else None
    if (not isinstance(genres, list) or len(genres) < 2 or not all(isinstance(g, str) for g in genres)
            or len(set(genres)) != len(genres)):
        raise _damaged(folder, "vocabulary is not a list of two or more distinct genre names")
    if not isinstance(vocab.get("counts"), (list, type(None))):
        raise _damaged(folder, "vocabulary counts are not a list")
    th = meta["thresholds"]
    if not isinstance(th, list) or len(th) != len(genres) or not all(_is_number(t) for t in th):
        raise _damaged(folder, f"thresholds are not {len(genres)} numbers, one per genre")
    if not _is_number(meta["global_threshold"]):
        raise _damaged(folder, "global_threshold is not a number")
    cap = meta.get("max_predicted", 0)
    if isinstance(cap, bool) or not isinstance(cap, int) or cap < 0:
        raise _damaged(folder, "max_predicted is not a whole number >= 0")
    emb = meta["embedders"]
    if (not isinstance(emb, list) or not all(isinstance(e, dict) and isinstance(e.get("name"), str) for e in emb)
            or [e["name"] for e in emb] != list(meta["cfg"].embedders)):
        raise _damaged(folder, "embedders do not match the settings' embedders")
    if not isinstance(meta.get("info", {}), dict):
        meta["info"] = {}
    return meta


def load_arrays(folder: Path) -> dict[str, np.ndarray]:
    path = folder / "arrays.npz"
    if not path.is_file():
        raise _damaged(folder, "no arrays.npz")
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: np.asarray(z[k]) for k in z.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise IncompatibleGenreModel(f"{path}: damaged ({exc or type(exc).__name__}); retrain the model") from None


def _expect(folder: Path, state: dict, key: str, shape: tuple) -> np.ndarray:
    """The array `key`, with `shape` (None = any size, but the same number of dimensions)."""
    if key not in state:
        raise _damaged(folder, f"arrays.npz lacks {key!r}")
    a = state[key]
    if a.dtype.kind not in "fiu" or a.ndim != len(shape) or any(s is not None and s != n for s, n in zip(shape, a.shape)):
        want = "x".join("n" if s is None else str(s) for s in shape)
        raise _damaged(folder, f"array {key!r} is {a.dtype} {'x'.join(map(str, a.shape)) or 'scalar'}, expected {want}")
    if not np.isfinite(a).all():
        raise _damaged(folder, f"array {key!r} holds NaN or infinite values")
    return a


def check_arrays(folder: Path, state: dict[str, np.ndarray], head: str, n_genres: int, dim: int) -> None:
    """Every array the predictor reads, against the vocabulary size and the embedders' total dimension."""
    n = _expect(folder, state, "memory_x", (None, dim)).shape[0]
    if n < 1:
        raise _damaged(folder, "the k-NN memory is empty")
    _expect(folder, state, "memory_y", (n, n_genres))
    if "memory_w" in state:
        _expect(folder, state, "memory_w", (n,))
    _expect(folder, state, "head_mean", (dim,))
    _expect(folder, state, "head_scale", (dim,))
    if head == "logreg":
        _expect(folder, state, "head_coef", (n_genres, dim))
        _expect(folder, state, "head_intercept", (n_genres,))
        return
    width, i = dim, 0
    while f"head_w{i + 1}" in state:
        width = _expect(folder, state, f"head_w{i}", (None, width)).shape[0]
        _expect(folder, state, f"head_b{i}", (width,))
        i += 1
    _expect(folder, state, f"head_w{i}", (n_genres, width))
    _expect(folder, state, f"head_b{i}", (n_genres,))

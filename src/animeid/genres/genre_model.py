"""A trained genre model on disk: a folder with `model.json` (vocabulary, thresholds, settings and
the exact embedders with their weights hashes) and `arrays.npz` (head weights, k-NN memory).

The embedders are part of the model: features from another backbone (or other weights under the same
name) live in a different space, so loading refuses rather than predicting confidently wrong genres.
Saving writes a sibling temp folder and renames it, so an interrupted save never leaves a half model;
what may be overwritten and what a loaded folder must hold is checked in `model_folder`."""
from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import time
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from animeid.genres.config import GenreCfg
from animeid.genres.errors import IncompatibleGenreModel
from animeid.genres.genre_predictor import GenrePredictor
from animeid.genres.genre_vocabulary import GenreVocabulary
from animeid.genres.model_folder import FORMAT, check_arrays, check_model_target, load_arrays, read_meta
from animeid.genres.thresholds import apply_thresholds


class GenreModel:
    def __init__(self, cfg: GenreCfg, vocabulary: GenreVocabulary, predictor: GenrePredictor,
                 thresholds: np.ndarray, global_threshold: float, embedder_cfgs: list[dict] | None = None,
                 info: dict | None = None, max_predicted: int = 0):
        self.cfg = cfg
        self.vocabulary = vocabulary
        self.predictor = predictor
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.global_threshold = float(global_threshold)
        self.embedder_cfgs = embedder_cfgs if embedder_cfgs is not None else current_embedder_cfgs(cfg.embedders)
        self.info = info or {}
        # The resolved cap (a number of genres, 0 = none); models saved before it existed have none.
        self.max_predicted = int(max_predicted)

    @property
    def genres(self) -> list[str]:
        return self.vocabulary.genres

    # -- prediction --------------------------------------------------------------------------
    def predict_features(self, x: np.ndarray) -> list[dict]:
        scores = self.predictor.scores(np.asarray(x, dtype=np.float32))
        decided = apply_thresholds(scores, self.thresholds, self.cfg.min_predicted, self.max_predicted)
        out = []
        for s, d in zip(scores, decided):
            order = np.argsort(-s, kind="stable")
            out.append({"genres": [{"genre": self.genres[j], "score": round(float(s[j]), 4)} for j in order],
                        "predicted": [self.genres[j] for j in order if d[j]]})
        return out

    def predict(self, image) -> dict:
        """Genres of one image (path, bytes, array or PIL image); raises BadImage if unreadable."""
        from animeid.genres.embeddings import embed_images
        from animeid.media.images import load_image

        x = embed_images([load_image(image)], self.cfg.embedders, self.cfg.views)
        return self.predict_features(x)[0]

    def predict_many(self, images: Iterable, names: Sequence[str] | None = None) -> list[dict]:
        """One result per input, in order; unreadable inputs get `error` instead of aborting the rest.
        `names` are what the caller calls the inputs (`-` for bytes read from standard input, a path
        as typed): results and errors use them rather than `<N bytes>` or the normalised path.
        `images` may be any iterable (a generator is read once, here); a single image (a path,
        bytes, an array) is refused rather than read item by item, as is a `names` of another length."""
        from animeid.errors import AnimeidError, BadImage, errors_naming
        from animeid.genres.embeddings import embed_images
        from animeid.media.images import describe, image_list, load_image

        images = image_list(images, "predict_many", "use predict(image) for one image")
        if names is None:
            names = [describe(i) for i in images]
        else:
            names = image_list(names, "predict_many", "give one name per image", what="names")
            if len(names) != len(images):
                raise AnimeidError(f"predict_many got {len(images)} image(s) but {len(names)} name(s); "
                                   "give one name per image, or no names")
        results: list[dict] = [{"image": n, "genres": [], "predicted": [], "error": None} for n in names]
        ok, decoded = [], []
        for k, src in enumerate(images):
            # the loader names `src` by `<N bytes>` or by the path as Path normalises it: say `names[k]`
            internal = str(Path(src)) if isinstance(src, (str, os.PathLike)) else describe(src)
            try:
                with errors_naming(internal, names[k], leading_only=True):
                    decoded.append(load_image(src))
                ok.append(k)
            except BadImage as exc:
                results[k]["error"] = str(exc)
        if decoded:
            x = embed_images(decoded, self.cfg.embedders, self.cfg.views)
            for k, r in zip(ok, self.predict_features(x)):
                results[k].update(r)
        return results

    # -- persistence -------------------------------------------------------------------------
    def save(self, folder: Path | str) -> Path:
        """Write the model to `folder` (new, empty, or an earlier genre model) and return its
        resolved path. The folder gets the mode a new folder gets here (or the replaced folder's
        mode), not the 0700 of a temporary folder."""
        from animeid.errors import AnimeidError

        folder = check_model_target(folder)
        tag = f"{os.getpid()}-{secrets.token_hex(4)}"
        tmp = folder.parent / f".{folder.name}.tmp-{tag}"
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            os.mkdir(tmp, 0o777)  # the umask applies, as for any folder the user makes
            try:
                meta = {"format": FORMAT, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "cfg": self.cfg.to_dict(), "vocabulary": self.vocabulary.to_dict(),
                        "thresholds": self.thresholds.tolist(), "global_threshold": self.global_threshold,
                        "max_predicted": self.max_predicted,
                        "embedders": self.embedder_cfgs, "info": self.info}
                (tmp / "model.json").write_text(json.dumps(meta, indent=2))
                np.savez(tmp / "arrays.npz", **self.predictor.state())
                if not folder.exists():
                    tmp.rename(folder)
                else:
                    os.chmod(tmp, stat.S_IMODE(folder.stat().st_mode))
                    old = folder.parent / f".{folder.name}.old-{tag}"
                    folder.rename(old)
                    try:
                        tmp.rename(folder)
                    except BaseException:  # interrupted or failed: put the previous model back
                        old.rename(folder)
                        raise
                    shutil.rmtree(old, ignore_errors=True)
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)
        except OSError as exc:
            raise AnimeidError(f"{folder}: cannot write the model ({exc.strerror or exc})") from None
        return folder

    @classmethod
    def load(cls, folder: Path | str, embedder: str | None = None) -> "GenreModel":
        """Load and check compatibility; `embedder` (optional) is the backbone the caller intends to use."""
        from animeid.features.registry import get_embedder_cfg

        folder = Path(folder)
        meta = read_meta(folder)
        cfg = meta["cfg"]
        names = [e["name"] for e in meta["embedders"]]
        if embedder is not None and embedder not in names:
            raise IncompatibleGenreModel(f"{folder}: trained with embedder(s) {', '.join(names)}, not {embedder!r}; "
                                         "retrain it with that embedder or drop --embedder")
        check_embedders(meta["embedders"], folder)
        vocabulary = GenreVocabulary.from_dict(meta["vocabulary"])
        state = load_arrays(folder)
        check_arrays(folder, state, cfg.head, len(vocabulary), sum(get_embedder_cfg(n).dim for n in names))
        return cls(cfg, vocabulary, GenrePredictor.from_state(state, cfg),
                   np.asarray(meta["thresholds"], dtype=np.float64), meta["global_threshold"], meta["embedders"],
                   meta.get("info", {}), int(meta.get("max_predicted", 0)))


def current_embedder_cfgs(names: Sequence[str]) -> list[dict]:
    from animeid.features.registry import get_embedder_cfg

    return [get_embedder_cfg(n).to_dict() for n in names]


# What makes an embedder's vectors what they are: the network (weights, output size) and the
# preprocessing in front of it (input size, normalisation). Re-registering a user embedder under the
# same name with another --mean/--std keeps weights and size, yet moves every vector.
EMBEDDER_IDENTITY = ("dim", "weights_sha256", "input_size", "mean", "std", "metric")


def check_embedders(stored: list[dict], folder: Path) -> None:
    """Refuse when a stored embedder is unknown here or differs in weights, dimension or
    preprocessing. A field a stored config lacks is not compared (nothing to compare it with)."""
    from animeid.config import embedder_changes
    from animeid.errors import AnimeidError
    from animeid.features.registry import get_embedder_cfg

    for e in stored:
        try:
            now = get_embedder_cfg(e["name"]).to_dict()
        except AnimeidError:
            raise IncompatibleGenreModel(f"{folder}: trained with embedder {e['name']!r}, which is not "
                                         "available here") from None
        changes = embedder_changes(e, now, EMBEDDER_IDENTITY)
        if changes:
            key, was, here = changes[0]
            raise IncompatibleGenreModel(f"{folder}: trained with another {e['name']!r} embedder "
                                         f"({key} {was!r} vs {here!r} here); retrain the model")

"""Who or what is in a picture nobody indexed: an open-set gallery of labelled examples.

    from animeid import Recognizer
    rec = Recognizer.load("chars-db")
    print(rec.identify("fanart.png"))   # [{"label": "shana", "score": 0.97}, ...]

Labels come and go without retraining: a label is its gallery rows; only the score calibration
(three numbers) is refitted from held-out gallery folds after each change."""
from __future__ import annotations

import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from animeid.errors import AnimeidError, BadImage, IncompatibleIndex
from animeid.file_names import shown
from animeid.number_checks import check_k
from animeid.recognize.calibration import Calibration, calibrate, class_scores, label_margins
from animeid.recognize.config import FeatureRecipe, GalleryCfg
from animeid.recognize.digest_backfill import backfill_digests
from animeid.recognize.feature_extractor import FeatureExtractor
from animeid.media.images import image_list
from animeid.recognize.gallery import DB_FILE, Gallery, check_label
from animeid.recognize.gallery_turns import one_at_a_time, writes
from animeid.recognize.image_inputs import content_digest, load_source

UNKNOWN = "unknown"
KINDS = ("title", "character")


def check_enrollable(label: str) -> str:
    """A label a gallery may store: printable text, and not the word its answers use for
    "nobody enrolled", which a user could not tell apart from a rejection."""
    check_label(label)
    if label == UNKNOWN:
        raise AnimeidError(f"invalid label {label!r}: reserved for the answer given below the threshold; "
                           "rename the folder (e.g. 'Unknown' or 'unknown_character')")
    return label


class Recognizer:
    """A gallery plus the feature extractor and calibration that go with it. One instance may be
    shared by threads; gallery reads and changes take turns, embedding does not."""

    def __init__(self, gallery: Gallery, cfg: GalleryCfg):
        self._lock = threading.RLock()
        self.gallery = gallery
        self.cfg = cfg
        self.unreadable = 0  # images the last `enroll` could not read
        self.features = FeatureExtractor(cfg.recipe, batch_size=cfg.batch_size)
        self._calibration_stored: dict | None = None
        self._calibration: Calibration | None = None
        self._closed = False

    @property
    @one_at_a_time
    def calibration(self) -> Calibration | None:
        """The gallery's stored calibration, read at each use: an enrol by another process (a
        separate `animeid enroll` while a server holds this gallery) recalibrates it."""
        stored = self.gallery.meta("calibration")
        if stored != self._calibration_stored:
            self._calibration_stored = stored
            self._calibration = Calibration.from_dict(stored) if stored else None
        return self._calibration

    # -- lifecycle -----------------------------------------------------------------------------
    @classmethod
    def create(cls, folder: Path, kind: str = "character", faces: bool = False,
               cfg: GalleryCfg = GalleryCfg(), write: bool = False) -> "Recognizer":
        """A new gallery. `write` keeps its write lock until `close` (a command filling it);
        without it, each change takes the lock for its own duration (a server)."""
        if kind not in KINDS:
            raise AnimeidError(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}")
        fx = FeatureExtractor(cfg.recipe)
        meta = {"kind": kind, "faces": bool(faces), "dim": fx.dim, "features": fx.signature(),
                "factory": cfg.factory, "hnsw_above": cfg.hnsw_above,
                "scoring": {"neighbours": cfg.neighbours, "per_class": cfg.per_class}}
        gallery = Gallery.create(folder, meta)
        if not write:
            gallery.unlock()
        return cls(gallery, cfg)

    @classmethod
    def load(cls, folder: Path, cfg: GalleryCfg | None = None, write: bool = False) -> "Recognizer":
        """An existing gallery; `write` as for `create`."""
        gallery = Gallery.open(folder, write=write)
        try:
            stored = gallery.meta("features")
            recipe = FeatureRecipe.from_dict(stored["recipe"])
            scoring = gallery.meta("scoring", {})
            cfg = replace(cfg or GalleryCfg(), recipe=recipe, **scoring)
            rec = cls(gallery, cfg)
            rec.features.check_compatible(stored)
            rec.calibration  # read now, as the rest: a damaged one failed at the first answer
            if gallery.dim != rec.features.dim:
                raise ValueError(f"vectors of {gallery.dim} values, but its embedders give {rec.features.dim}")
            for name in ("neighbours", "per_class"):   # below 1, every score came out nan
                value = getattr(rec.cfg, name)
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ValueError(f"scoring {name} is {value!r}, not a whole number >= 1")
        except AnimeidError as exc:  # e.g. its embedder is no longer registered: say which gallery
            gallery.close()
            raise type(exc)(f"{folder}: {exc}") from None
        except (KeyError, TypeError, ValueError) as exc:  # its settings were damaged: a traceback, at first use
            gallery.close()
            raise IncompatibleIndex(f"{folder}: damaged gallery (its settings in {DB_FILE}: {type(exc).__name__}: "
                                    f"{exc}); enrol the images again into a new --db") from None
        return rec

    @classmethod
    def open_or_create(cls, folder: Path, kind: str | None = None, faces: bool = False,
                       cfg: GalleryCfg = GalleryCfg()) -> "Recognizer":
        """The gallery to enrol into, holding its write lock until `close`."""
        if not (Path(folder) / DB_FILE).exists():
            try:
                return cls.create(folder, kind or "character", faces, cfg, write=True)
            except AnimeidError:
                if not (Path(folder) / DB_FILE).exists():
                    raise
                # another enrol created it meanwhile: enrol into it, as if it had been there
        rec = cls.load(folder, write=True)
        has_kind, has_faces = rec.kind, rec.faces  # read before closing: the message needs them
        if kind is not None and has_kind != kind:
            rec.close()
            raise AnimeidError(f"{folder} is a {has_kind} gallery; cannot enrol --kind {kind} into it")
        if has_faces != bool(faces):
            rec.close()
            raise AnimeidError(f"{folder} was enrolled {'with' if has_faces else 'without'} --faces; "
                               "enrol the same way or use another --db")
        return rec

    @property
    @one_at_a_time
    def kind(self) -> str:
        return self.gallery.meta("kind")

    @property
    @one_at_a_time
    def faces(self) -> bool:
        return bool(self.gallery.meta("faces"))

    @one_at_a_time
    def labels(self) -> dict[str, int]:
        self._check_open()
        return self.gallery.label_counts()

    @one_at_a_time
    def close(self) -> None:
        self._closed = True
        self.gallery.close()

    def _check_open(self) -> None:
        """After `close` the gallery's database is gone: say so, rather than let SQLite's
        "Cannot operate on a closed database" surface from deep inside a query."""
        if self._closed:
            raise AnimeidError(f"this Recognizer of {self.gallery.folder} was closed; load it again "
                               "(Recognizer.load) to use it")

    def __enter__(self) -> "Recognizer":
        self._check_open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- enrolling -----------------------------------------------------------------------------
    def _prepare(self, img: np.ndarray) -> tuple[np.ndarray, int | None]:
        """The pixels a gallery stores for one image: its most likely face when enrolled with
        faces (the larger on a tie; the whole image if none), and how many faces were found (None
        for a gallery of whole images)."""
        if not self.faces:
            return img, None
        from animeid.features.faces import crop_with_margin, detect_faces

        found = detect_faces(img)
        if not found:
            return img, 0
        return crop_with_margin(img, found[0], self.cfg.face_margin), len(found)

    @writes
    def enroll(self, label: str, images: Sequence, warn: Callable[[str], None] | None = None,
               progress: Callable[[int], None] | None = None, refit: bool = True,
               sources: Sequence[str] | None = None) -> int:
        """Embed and store one label's images in one transaction; unreadable images are skipped
        with a warning. Returns how many were stored. `sources` names in-memory images; frames
        of one video should be named `video@seconds` so calibration holds the video out whole.
        An image this label already holds (same content) is skipped, so enrolling a folder again
        only adds what is new. `images` is a list (or any iterable) even for one image: a lone
        path or bytes is refused, since read item by item it stored nothing and warned per letter."""
        check_enrollable(label)
        images = image_list(images, "enroll", "give [image] for one")
        warn = warn or (lambda msg: print(f"animeid: warning: {msg}", file=sys.stderr))
        names = list(sources) if sources is not None else None
        backfill_digests(self.gallery, label, self._prepare, self.features.extract, self.cfg.batch_size)
        pixels, sources, digests, fallbacks, already, group_pictures = [], [], [], 0, 0, []
        seen: set[str] = set()
        self.unreadable = 0
        for i, src in enumerate(images):
            digest = content_digest(src)
            holders = self.gallery.labels_holding(digest) if digest else []
            if label in holders or digest in seen:
                already += 1
                if progress:
                    progress(1)
                continue
            try:
                img, faces_found = self._prepare(load_source(src))
            except BadImage as exc:
                warn(f"skipped: {exc}")
                self.unreadable += 1
                if progress:
                    progress(1)
                continue
            if digest is not None:
                seen.add(digest)
            if names is not None:
                source = typed = shown(str(names[i]))
            elif isinstance(src, (str, Path)):
                source = shown(str(Path(src).resolve()))  # the same file from any working folder
                typed = shown(str(src))
            else:  # bytes, arrays, PIL images: no name of their own (their repr is the whole picture)
                source = typed = f"<{type(src).__name__} {label}#{i}>"
            if holders:
                warn(f"{typed}: the same image is already enrolled as {', '.join(map(repr, holders))}; "
                     f"enrolled as {label!r} too")
            fallbacks += faces_found == 0
            if faces_found is not None and faces_found > 1:
                group_pictures.append(typed)
            pixels.append(img)
            digests.append(digest)
            sources.append(source)
        if already:
            warn(f"label {label!r}: {already} image(s) already enrolled; skipped")
        if not pixels:
            if not already:
                warn(f"label {label!r}: no readable image, nothing enrolled")
            return 0
        if fallbacks:
            warn(f"label {label!r}: no face found in {fallbacks} image(s); used the whole image")
        if group_pictures:   # one face per picture is kept: say so, it may not be this label's character
            shown_some = ", ".join(group_pictures[:3]) + (", ..." if len(group_pictures) > 3 else "")
            warn(f"label {label!r}: {len(group_pictures)} image(s) show several faces ({shown_some}); enrolled "
                 "the most likely face of each (the largest on a tie): crop such pictures to the character")
        vecs = []
        for start in range(0, len(pixels), self.cfg.batch_size):
            chunk = pixels[start:start + self.cfg.batch_size]
            vecs.append(self.features.extract(chunk))
            if progress:
                progress(len(chunk))
        self.gallery.add(label, np.concatenate(vecs), sources, digests)
        if self.labels().get(label, 0) == 1:
            warn(f"label {label!r} has a single image: it can be recognised, but only from pictures close to it")
        if refit:
            self.refit()
        return len(pixels)

    @writes
    def remove_label(self, label: str) -> int:
        return self.remove_labels([label])[label]

    @writes
    def remove_labels(self, labels: Sequence[str]) -> dict[str, int]:
        """Remove labels together (one transaction), then recalibrate once: {label: images removed}."""
        removed = self.gallery.remove_labels(list(labels))
        self.refit()
        return removed

    @one_at_a_time
    def removed_uncalibrated(self) -> list[str]:
        """Labels removed since the last calibration: a re-run of a removal killed before its refit
        finds them gone."""
        return list(self.gallery.meta("removed_uncalibrated") or [])

    @one_at_a_time
    def calibration_stale(self) -> bool:
        """Whether the gallery changed after its calibration was fitted: a run killed between
        storing images and refitting (the refit comes last) left the old calibration, or none,
        and a re-run that stores nothing new must still finish it."""
        fitted = self.gallery.meta("calibrated_generation")
        if fitted is None:   # a gallery from before this was recorded: stale only if never fitted
            return self.gallery.meta("calibration") is None and len(self.gallery) > 0
        return fitted != self.gallery.meta("generation")

    @writes
    def refit(self) -> Calibration | None:
        """Refresh calibration and the saved vector index after the gallery changed."""
        g = self.gallery
        generation = g.meta("generation")   # under the write lock: what is fitted below
        if g.vector_index().factory != g.factory_for(len(g)):
            g.rebuild_index()  # the gallery outgrew exact search (or shrank back)
        g.save_index()
        _, vecs, labels = self.gallery.all_items()
        if not labels:
            self.gallery.set_meta("calibration", None)
            self._fitted(generation)
            return None
        c = self.cfg
        from animeid.recognize.calibration import source_group

        groups = [source_group(src) for src in self.gallery.sources()]
        calibration = calibrate(vecs, labels, c.calibration_folds, c.neighbours, c.per_class,
                                c.calibration_queries, c.default_threshold, groups=groups,
                                margin=c.calibration_margin)
        self.gallery.set_meta("calibration", calibration.to_dict())
        self._fitted(generation)
        return self.calibration

    def _fitted(self, generation) -> None:
        self.gallery.set_meta("calibrated_generation", generation)
        if generation == self.gallery.meta("generation"):   # nothing removed since the fit began
            self.gallery.set_meta("removed_uncalibrated", [])

    # -- identifying ---------------------------------------------------------------------------
    @one_at_a_time
    def _answer(self, vectors: np.ndarray, k: int) -> list[list[dict]]:
        """At most k answers per query; "unknown", when the best is below the threshold, is one
        of the k."""
        self._check_open()   # again: another thread may have closed it while this one embedded
        if len(self.gallery) == 0:
            raise AnimeidError(f"{self.gallery.folder}: the gallery is empty; enrol some labels first")
        index = self.gallery.vector_index()
        sims, ids = index.search(vectors, max(self.cfg.neighbours, k))
        cal = self.calibration or Calibration(1.0, 0.0, self.cfg.default_threshold)
        out = []
        for row_sims, row_ids in zip(sims, ids):
            keep = row_ids >= 0
            ranked = class_scores(row_sims[keep], self.gallery.labels_of(row_ids[keep]), self.cfg.per_class)
            # margins over the whole ranking: with k=1 the runner-up is still the runner-up
            margins = label_margins(ranked, float(row_sims[keep].min()))[:k] if ranked else None
            ranked = ranked[:k]
            scores = cal.score(np.array([s for _, s in ranked]), margins)
            results = [{"label": lab, "score": round(float(p), 4)} for (lab, _), p in zip(ranked, scores)]
            if results and results[0]["score"] < cal.threshold:
                results.insert(0, {"label": UNKNOWN, "score": round(1.0 - results[0]["score"], 4)})
            out.append(results[:k])
        return out

    def identify(self, image, k: int = 5) -> list[dict]:
        """Ranked [{"label", "score"}] for one image (a path, bytes, a binary file object, an array
        or a PIL image). The score is the calibrated probability that the label is right; when the
        best is below the gallery's learned threshold the first answer is {"label": "unknown"}. A
        gallery enrolled with faces compares the image's most likely face, as enrolling did."""
        self._check_open()
        k = check_k(k, 5)
        img, _ = self._prepare(load_source(image))
        return self._answer(self.features.extract([img]), k)[0]

    def identify_many(self, images: Iterable, k: int = 5) -> list[list[dict]]:
        """`identify` for a batch, embedded together. All or nothing: an unreadable image fails
        the whole call with BadImage naming its position (call `identify` per image, as the CLI
        does, to get an answer for every readable one). A single image is refused: taken as a
        list, a path was read character by character."""
        self._check_open()
        k = check_k(k, 5)
        images = image_list(images, "identify_many", "use identify(image) for one")
        imgs = []
        for n, image in enumerate(images, 1):
            try:
                imgs.append(self._prepare(load_source(image))[0])
            except BadImage as exc:
                raise BadImage(f"image {n} of {len(images)}: {exc}") from None
        return self._answer(self.features.extract(imgs), k) if imgs else []

    def identify_faces(self, image, k: int = 5) -> tuple[list[dict], bool]:
        """([{"box": [x, y, w, h] | None, "results": [...]}], fell_back): every detected face
        identified on its own; the whole image (box None) when no face was found."""
        from animeid.features.faces import face_crops_or_whole

        self._check_open()
        k = check_k(k, 5)
        img = load_source(image)
        crops, boxes, fell_back = face_crops_or_whole(img, self.cfg.face_margin)
        answers = self._answer(self.features.extract(crops), k)
        faces = [{"box": b.box if b is not None else None, "results": r} for b, r in zip(boxes, answers)]
        return faces, fell_back

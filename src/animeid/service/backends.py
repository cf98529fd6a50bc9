"""The models one server holds: the scene index (one `Index`, or a `ShardedIndex` of a library
indexed with `--shards`: both search, list titles, count and `locate` an entry the same way), and
optionally the character gallery and the genre model. Everything here is blocking CPU work meant
to run on the worker pool's threads.

Thread safety: FAISS searches and ONNX Runtime sessions may run concurrently. The index's SQLite
connection may too when SQLite is built serialized (`sqlite3.threadsafety == 3`, the usual case);
otherwise index reads take a lock. A gallery is mutated by enrolment, so its use is locked."""
from __future__ import annotations

import logging
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

from animeid.config import ImageLimits
from animeid.errors import AnimeidError
from animeid.service import previews
from animeid.service.api_error import ApiError, not_configured, not_found
from animeid.service.settings import ServiceSettings

log = logging.getLogger(__name__)
# at most one reopen of a changed index per this many seconds: an indexer running beside the
# server commits every few seconds, and a reopen loads the whole vector index
REOPEN_INTERVAL_S = 10.0


class Backends:
    def __init__(self, settings: ServiceSettings):
        self.settings = settings
        self.limits = ImageLimits(max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels)
        self.index = None
        if settings.db is not None:
            self.index = self._open_index()
        # one reload at a time when the index changed on disk; a failed one is retried after a pause
        self._reload_lock = threading.Lock()
        self._next_reload = 0.0
        self._store_lock = nullcontext() if sqlite3.threadsafety == 3 else threading.Lock()
        self._recognizer = None
        self._genre_model = None
        # The gallery's SQLite connection belongs to the thread that opened it, and enrolment
        # mutates it: one dedicated thread opens it and runs every recognizer call, in order.
        self._gallery_thread = None
        if settings.gallery is not None:
            self._gallery_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="animeid-gallery")
            self._recognizer = self._gallery_thread.submit(_load_recognizer, Path(settings.gallery)).result()
        if settings.genre_model is not None:
            self._genre_model = _load_genre_model(settings.genre_model)

    # --- lifecycle ----------------------------------------------------------------------
    def warm_up(self) -> None:
        """Create the ONNX sessions now, so the first user does not wait for them."""
        from animeid.scenes.indexer import OLD_SECONDS_NOTE, counts_from_first_frames

        if self.index is not None and counts_from_first_frames(self.index):
            log.warning("%s %s", self.settings.db, OLD_SECONDS_NOTE)
        if self.index is not None and self.index.counts()["vectors"]:
            import numpy as np

            self.index.embedder.embed([np.zeros((64, 64, 3), np.uint8)])

    def capabilities(self) -> dict:
        return {"search": self.index is not None, "identify": self._recognizer is not None,
                "genres": self._genre_model is not None,
                "writes": self.settings.api_key is not None and self._recognizer is not None}

    def health(self) -> dict:
        out: dict = {"status": "ok", "capabilities": self.capabilities()}
        if self.index is not None:
            index = self._current_index()
            with self._store_lock:
                out["index"] = {"embedder": index.embedder_cfg.name, **index.counts()}
        return out

    # --- scene search -------------------------------------------------------------------
    def _open_index(self):
        from animeid.distribute.sharded_index import open_index

        index = open_index(self.settings.db).with_search(frame_placement=self.settings.frame_placement)
        _use_limits(index, self.limits)
        return index

    def _require_index(self):
        if self.index is None:
            raise not_configured("scene search", "--db")
        return self._current_index()

    def _current_index(self):
        """The index, reopened when `animeid index` committed to it since it was opened (new or
        re-indexed episodes are then answered without restarting the server). Requests under way
        finish on the index they started with; if the reopened index cannot be read (a shard half
        written), the loaded one keeps answering and the reload is tried again later."""
        index = self.index
        if time.monotonic() < self._next_reload or not index.changed_on_disk():
            return index
        if not self._reload_lock.acquire(blocking=False):
            return index   # another request is reopening it
        try:
            if self.index is index:
                self._next_reload = time.monotonic() + REOPEN_INTERVAL_S
                fresh = self._open_index()
                _first(fresh).share_embedder(_first(index))
                self.index = fresh
                log.info("scene index %s changed on disk: reopened", self.settings.db)
        except (AnimeidError, OSError, sqlite3.Error) as exc:
            log.warning("scene index %s changed on disk but could not be reopened (%s); still answering "
                        "from the one loaded", self.settings.db, exc)
        finally:
            self._reload_lock.release()
        return self.index

    def titles(self) -> list[dict]:
        index = self._require_index()
        with self._store_lock:
            return index.titles()

    def search(self, image, k: int, title: str | None, cut_borders: bool):
        """The index's own `search`, given the upload as it came: it decodes the query itself
        (`Index.prepare_query`: shrunk to the size frames were indexed at), so the API answers
        exactly what `animeid search` does, at the same cost. A clip (an animated GIF or a video,
        recognised by its leading bytes or its path) is answered as `animeid search CLIP` answers
        it: a `ClipAnswer` instead of a list of scenes."""
        from animeid.config import ClipCfg
        from animeid.scenes.clip_search import (clip_limits, clip_suffix, clip_upload, is_clip, sample_clip,
                                                search_frames)

        index = self._require_index()
        if title is not None:
            with self._store_lock:   # not every title's totals: that counted every entry, per request
                known = any(part.store.has_title(title) for part in _parts(index))
            if not known:
                raise ApiError(400, f"no title {title!r} in this index; GET /titles lists them")
        cfg = replace(index.search_cfg, trim_borders=cut_borders)
        if isinstance(image, Path) and is_clip(image):
            frames = sample_clip(image, ClipCfg(), cfg.query_short_side, clip_limits(index))
        elif isinstance(image, (bytes, bytearray)) and (suffix := clip_suffix(image)):
            with clip_upload(bytes(image), suffix, "uploaded clip") as path:
                frames = sample_clip(path, ClipCfg(), cfg.query_short_side, clip_limits(index))
        else:
            with self._store_lock:
                return index.search(image, k=k, title=title, cfg=cfg)
        # decoded outside the lock: a long clip must not hold up other searches
        with self._store_lock:
            return search_frames(index, frames, k, title, search_cfg=cfg)

    # --- previews -----------------------------------------------------------------------
    def _entry_video(self, entry_id: int):
        """The video, its file record and the cache key of its previews, for a search result's
        entry (with shards, the shard's own). The key joins the fingerprint stored at indexing with
        the file's identity on disk now: an episode replaced since (same path, not re-indexed)
        must not be served the old file's cached previews."""
        found = self._require_index().locate(entry_id)
        rec = file = None
        if found is not None:
            index, local_id = found
            with self._store_lock:
                rec = index.store.entries([local_id]).get(local_id)
                file = index.store.file_by_id(rec.file_id) if rec is not None else None
        if rec is None or file is None:
            raise not_found(f"no scene with id {entry_id} in this index")
        video = index.video_path(rec.path)
        try:
            identity = previews.file_identity(video) if video is not None else None
        except OSError:   # removed between the two looks
            identity = None
        if identity is None:
            raise not_found(f"the video of scene {entry_id} ({rec.path}) is no longer in the library")
        return video, file, f"{file.fingerprint[:20]}-{identity}"

    def thumbnail(self, entry_id: int, t: float) -> Path:
        video, _, key = self._entry_video(entry_id)
        s = self.settings
        name = f"{key}-{t:.3f}-{s.thumbnail_short_side}.jpg"
        return previews.cached_file(s.previews_folder(), name,
                                    lambda tmp: tmp.write_bytes(previews.thumbnail_jpeg(video, t, s.thumbnail_short_side)),
                                    s.preview_max_cache_bytes)

    def scene_clip(self, entry_id: int, t: float, t_from: float, t_to: float) -> Path:
        video, file, key = self._entry_video(entry_id)
        s = self.settings
        t0, t1 = previews.clip_span(t, t_from, t_to, file.duration, s.clip_pad_s, s.clip_min_s, s.clip_max_s)
        name = f"{key}-{t0:.3f}-{t1:.3f}-{s.clip_short_side}.mp4"
        return previews.cached_file(s.previews_folder(), name,
                                    lambda tmp: previews.scene_clip_mp4(video, t0, t1, s.clip_short_side, tmp),
                                    s.preview_max_cache_bytes)

    # --- recognition --------------------------------------------------------------------
    def _on_gallery(self, fn, *args):
        if self._recognizer is None:
            raise not_configured("character recognition", "--gallery")
        return self._gallery_thread.submit(fn, self._recognizer, *args).result()

    def labels(self) -> dict:
        return self._on_gallery(lambda rec: {"kind": rec.kind, "faces": rec.faces, "labels": rec.labels()})

    def identify(self, image, faces: bool, k: int) -> dict:
        from animeid.media.images import load_image

        img = load_image(image, self.limits)

        def run(rec):
            if len(rec.gallery) == 0:
                raise ApiError(409, "the gallery is empty; enrol characters first (POST /enroll)")
            if faces:
                found, fell_back = rec.identify_faces(img, k=k)
                return {"kind": rec.kind, "faces": found, "face_found": not fell_back}
            return {"kind": rec.kind, "results": rec.identify(img, k=k)}

        return _jsonable(self._on_gallery(run))

    def enroll(self, label: str, images: list) -> dict:
        from animeid.media.images import load_image

        for img in images:  # the service's own limits, before anything is stored
            load_image(img, self.limits)

        def run(rec):
            warnings: list[str] = []
            # the uploads as sent, so an image enrolled by upload and from its file is one image
            added = rec.enroll(label, images, warn=warnings.append)
            return {"label": label, "enrolled": added, "images_of_label": rec.labels().get(label, 0),
                    "warnings": warnings}

        return self._on_gallery(run)

    def delete_label(self, label: str) -> dict:
        def run(rec):
            if label not in rec.labels():
                raise not_found(f"no label {label!r} in the gallery")
            return {"label": label, "removed_images": rec.remove_label(label)}

        return self._on_gallery(run)

    # --- genres -------------------------------------------------------------------------
    def genres(self, image) -> dict:
        from animeid.media.images import load_image

        if self._genre_model is None:
            raise not_configured("genre prediction", "--genre-model")
        img = load_image(image, self.limits)
        return _jsonable(self._genre_model.predict(img))

    def close(self) -> None:
        if self.index is not None:
            self.index.close()
        if self._gallery_thread is not None:
            self._gallery_thread.submit(self._recognizer.close).result()
            self._gallery_thread.shutdown()


def _use_limits(index, limits: ImageLimits) -> None:
    """Queries are decoded by the index (by a sharded one's first shard): give it the service's
    limits on upload size and pixels instead of the library's defaults."""
    for part in _parts(index):
        part.limits = limits


def _parts(index) -> list:
    """The plain indexes that make up `index`: a sharded index's shards, or the index itself."""
    from animeid.distribute.sharded_index import ShardedIndex

    return index.shards if isinstance(index, ShardedIndex) else [index]


def _first(index):
    """The index that embeds the queries: the index itself, or a sharded index's first shard."""
    from animeid.distribute.sharded_index import ShardedIndex

    return index.shards[0] if isinstance(index, ShardedIndex) else index


def _load_recognizer(folder: Path):
    """An existing gallery (from `animeid enroll`), or a new character gallery matched by faces
    when the folder is missing or empty, so a server can be filled through POST /enroll."""
    try:
        from animeid.recognize.recognizer import Recognizer
    except ImportError:
        raise AnimeidError("character recognition is not available in this installation") from None
    if not folder.exists() or (folder.is_dir() and not any(folder.iterdir())):
        return Recognizer.create(folder, kind="character", faces=True)
    return Recognizer.load(folder)


def _load_genre_model(folder: Path):
    try:
        from animeid.genres.genre_model import GenreModel
    except ImportError:
        raise AnimeidError("genre prediction is not available in this installation") from None
    return GenreModel.load(folder)


def _jsonable(value):
    """Results of the other packages as plain JSON (dataclasses expose `to_dict`)."""
    if hasattr(value, "to_dict"):
        return _jsonable(value.to_dict())
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value

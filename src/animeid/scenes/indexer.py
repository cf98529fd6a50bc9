"""Indexing a video library: decode (a background thread) -> trim borders -> embed (ONNX Runtime)
-> merge near-identical consecutive frames -> checkpoint. PyAV and ONNX Runtime both release the
GIL, so decoding the next frames overlaps embedding the current batch on 2 cores.

Incremental (new or changed files are added, deleted ones dropped) and resumable (a killed run
continues after the last checkpoint of each file, without duplicates)."""
from __future__ import annotations

import queue
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from animeid.config import IndexCfg
from animeid.errors import AnimeidError, BadVideo
from animeid.file_names import is_text, shown
from animeid.media.borders import trim_borders
from animeid.media.video import DecodeReport, fingerprint, iter_frames, probe
from animeid.media.video_container import first_frame_offset
from animeid.scenes.index import Index
from animeid.scenes.library import LibraryVideo, loose_videos, scan_library
from animeid.scenes.refine import thumbnail


@dataclass
class IndexReport:
    added: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    frames: int = 0
    entries: int = 0
    video_seconds: float = 0.0
    wall_seconds: float = 0.0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class _Job:
    video: LibraryVideo
    file_id: int
    start: float
    duration: float


_END = object()
# Stored with the index: where a file's seconds count from (`media.video_container.time_origin`).
SECONDS_FROM, CONTAINER_START = "seconds_from", "container start"
OLD_SECONDS_NOTE = ("was built before seconds were counted from a video's container start, as players count "
                    "them; re-run `animeid index` on it to re-time the few files whose video starts late (it "
                    "says which)")


def counts_from_first_frames(index) -> bool:
    """Whether `index` (or a shard of a `ShardedIndex`) holds entries indexed before 2026-11-25,
    whose seconds count from their file's first decoded frame."""
    from animeid.distribute.sharded_index import ShardedIndex

    shards = index.shards if isinstance(index, ShardedIndex) else [index]
    return any(shard.store.get_meta(SECONDS_FROM) is None and shard.store.count_entries() for shard in shards)


def _producer(jobs: list[_Job], cfg: IndexCfg, out: queue.Queue, stop: threading.Event) -> None:
    for n, job in enumerate(jobs):
        try:
            decoding = DecodeReport()
            for t, rgb in iter_frames(job.video.path, cfg.fps, cfg.decode_short_side, start=job.start,
                                    motion_fps=cfg.motion_fps, motion_diff=cfg.motion_diff, report=decoding):
                if stop.is_set():
                    return
                img = trim_borders(rgb)
                out.put((n, t, (img, thumbnail(img))))
            for warning in _decoding_warnings(job, decoding, cfg.fps):
                out.put((n, "warning", warning))
            # what decoded, for a file whose length nothing said (0 s would be reported otherwise)
            out.put((n, "end", max(0.0, decoding.decoded_until - job.start)))
        except BadVideo as exc:
            out.put((n, "error", str(exc)))
        except Exception as exc:  # keep the consumer alive; report per file
            out.put((n, "error", f"{job.video.relpath}: {type(exc).__name__}: {exc}"))
    out.put(_END)


def _decoding_warnings(job: _Job, decoding: DecodeReport, fps: float) -> list[str]:
    """Decoding skips damage and keeps what a truncated file holds, as players do; the user should
    know. Truncation is judged against the video track's own end, and not at all when it is unknown."""
    warnings = []
    if decoding.skipped_packets:
        warnings.append(f"{job.video.relpath}: damaged: {decoding.damage()}; indexed the rest")
    elif decoding.gaps:   # a variable frame rate holding one picture that long looks the same
        warnings.append(f"{job.video.relpath}: {decoding.damage()} (damaged, or one picture held that long); "
                        "indexed the rest")
    end = job.start + job.duration
    if job.duration > 0 and decoding.decoded_until < end - max(2.0 / fps, 1.0):
        got = f"only up to {decoding.decoded_until:.1f} s" if decoding.decoded_until > job.start else "nothing"
        warnings.append(f"{job.video.relpath}: decoded {got} of its {end:.1f} s "
                        "(truncated or damaged file?); indexed what decoded")
    return warnings


class _FileState:
    """Entries of one file being built: the open entry grows while frames stay near-identical."""

    def __init__(self, job: _Job, merge_similarity: float, max_span: float, metric: str = "cosine"):
        self.job = job
        self.merge_similarity = merge_similarity
        self.max_span = max_span
        self.metric = metric
        self.closed_rows: list[tuple[float, float, float, bytes]] = []
        self.closed_vecs: list[np.ndarray] = []
        self.open_vec: np.ndarray | None = None
        self.open_span: list[float] = []
        # Last second covered by committed entries; a resumed run starts after it.
        self.done_until = job.start - 1e-3

    def add(self, t: float, vec: np.ndarray, thumb: np.ndarray) -> None:
        if (self.open_vec is not None and t - self.open_span[0] <= self.max_span
                and self._same(self.open_vec, vec)):
            self.open_span[2] = t
            return
        self.close()
        self.open_vec, self.open_span = vec, [t, t, t]
        self.open_thumb = thumb.tobytes()

    def _same(self, a: np.ndarray, b: np.ndarray) -> bool:
        if self.metric == "cosine":
            return float(a @ b) >= self.merge_similarity
        return bool(np.array_equal(a, b))  # raw descriptors (colour layout): only exact repeats merge

    def close(self) -> None:
        if self.open_vec is not None:
            t_from, _, t_to = self.open_span
            self.closed_rows.append((t_from, (t_from + t_to) / 2, t_to, self.open_thumb))
            self.closed_vecs.append(self.open_vec)
            self.open_vec = None

    def take(self) -> tuple[list, np.ndarray]:
        rows, vecs = self.closed_rows, self.closed_vecs
        self.closed_rows, self.closed_vecs = [], []
        return rows, (np.stack(vecs) if vecs else np.zeros((0, 0), np.float32))


def index_library(library: Path, db: Path, cfg: IndexCfg = IndexCfg(), progress: bool = True,
                  shard: tuple[int, int] | None = None) -> IndexReport:
    """Bring the index at `db` up to date with `library`; with `shard=(i, n)`, only with the files
    that hash to shard i of n (see animeid.distribute)."""
    from animeid.features.registry import create_embedder, get_embedder_cfg

    t0 = time.perf_counter()
    report = IndexReport()
    videos, unstorable = _library_videos(library, cfg, shard)
    for video in unstorable:
        report.failed[shown(video.relpath)] = (f"{shown(video.relpath)}: the file name is not valid UTF-8, "
                                               "which the index cannot store; rename it")
    loose = loose_videos(library, cfg.video_extensions) if not shard or shard[0] == 0 else []
    if loose:   # said once per library, by its first shard
        report.warnings.append(f"{len(loose)} video file(s) lie in {library} itself, in no <Title> folder, and are "
                               f"not indexed (such as {shown(loose[0])}); move each into a folder named by its title")
    embedder_cfg = get_embedder_cfg(cfg.embedder)
    with Index.open_for_writing(db, embedder_cfg, cfg.factory) as index:
        store = index.store
        spec = f"{shard[0]}/{shard[1]}" if shard else "all"
        recorded = store.get_meta("shard")
        stored = recorded or "all"
        files = store.files()
        # an empty shard (more shards than files, or its files renamed away) still belongs to its
        # plan: indexing it as a whole library made it "all" and broke every search of the plan
        if stored != spec and (files or recorded not in (None, "all")):
            raise AnimeidError(f"{db}: this index holds shard {stored} of its library, not {spec}; "
                               "use the same --shard (or another --db)")
        by_rel = {v.relpath: v for v in videos}
        gone = [rec for rec in files if rec.path not in by_rel]
        _check_same_library(store, library, db, gone, len(files), cfg.replace_library)
        store.set_meta("shard", spec)
        store.set_meta("library_root", str(Path(library).resolve()))
        _record_sampling(store, cfg, report)
        # An index from before 2026-11-25 counted each file's seconds from its first decoded frame.
        # Recorded as brought up to date only once a run completes: an interrupted one checks again.
        first_frame_seconds = bool(files) and store.get_meta(SECONDS_FROM) is None
        if not files:   # a new index counts from the container's start from its first entry on
            store.set_meta(SECONDS_FROM, CONTAINER_START)
        index.delete_files([rec.id for rec in gone])
        report.removed.extend(rec.path for rec in gone)
        jobs: list[_Job] = []
        for video in videos:
            try:
                fp = fingerprint(video.path)
                rec = store.file_by_path(video.relpath)
                if rec is not None and rec.fingerprint == fp and first_frame_seconds:
                    shift = first_frame_offset(video.path)
                    if shift > 1e-3:   # its stored seconds are early by this: index it again
                        index.delete_file(rec.id)
                        rec = None
                        report.warnings.append(
                            f"{video.relpath}: indexed again: seconds now count from the container's start, as "
                            f"players show them (this index counted from the first frame, {shift:.2f} s later)")
                if rec is not None and rec.fingerprint == fp and rec.status == "done":
                    report.unchanged.append(video.relpath)
                    if rec.episode != video.episode:   # the name is read by newer rules
                        store.set_episode(rec.id, video.episode)
                        report.warnings.append(f"{video.relpath}: episode now {_episode_name(video.episode)} "
                                               f"(was {_episode_name(rec.episode)})")
                    continue
                info = probe(video.path)
                # only once the new version reads: one being copied over, or damaged, keeps what was
                # stored of the old (it was dropped before, unreported, and the index lost the file)
                if rec is not None and rec.fingerprint != fp:
                    index.delete_file(rec.id)
                    rec = None
                if rec is None:
                    rec = store.start_file(video.relpath, video.title, video.episode, fp, info.duration)
                    report.added.append(video.relpath)
                    start = 0.0
                else:
                    report.resumed.append(video.relpath)
                    start = max(0.0, rec.done_until + 1e-3)  # -1: nothing had landed yet
                jobs.append(_Job(video, rec.id, start, max(info.duration - start, 0.0)))
            except (BadVideo, OSError) as exc:
                report.failed[video.relpath] = str(exc)
        if jobs:
            embedder = create_embedder(cfg.embedder, batch_size=cfg.batch_size)
            _run_jobs(index, embedder, jobs, cfg, report, progress)
        store.set_meta(SECONDS_FROM, CONTAINER_START)
        index.flush()
    report.wall_seconds = time.perf_counter() - t0
    return report


def _episode_name(episode: float | None) -> str:
    return "none" if episode is None else f"{episode:g}"


def _library_videos(library: Path, cfg: IndexCfg, shard: tuple[int, int] | None):
    """(the videos of `library` this index (or shard) holds, those whose names it cannot store:
    not UTF-8, of any shard)."""
    from animeid.distribute.shard_plan import shard_of

    videos = scan_library(Path(library), cfg.video_extensions)
    storable = [v for v in videos if is_text(v.relpath)]
    if shard is not None:
        storable = [v for v in storable if shard_of(v.relpath, shard[1]) == shard[0]]
    return storable, [v for v in videos if not is_text(v.relpath)]


def check_same_library_before_writing(library: Path, db: Path, cfg: IndexCfg,
                                      shard: tuple[int, int] | None) -> None:
    """`_check_same_library` for an index about to be brought up to date, without writing to it:
    the shards of one library must all refuse another folder before any of them changes, or the
    shards that lose nothing move to the new folder and the others stay: one index of two libraries."""
    if not Index.is_index(db):
        return
    videos = {v.relpath for v in _library_videos(library, cfg, shard)[0]}
    with Index.load(db) as index:
        files = index.store.files()
        gone = [rec for rec in files if rec.path not in videos]
        _check_same_library(index.store, library, db, gone, len(files), cfg.replace_library)


def _check_same_library(store, library: Path, db: Path, gone: list, stored_files: int,
                        replace_library: bool) -> None:
    """A re-run drops the files its library no longer has, which is right for the library the index
    was built from, but pointing an index at another folder (to "add" a show, or a drive mounted
    elsewhere with half its files) would silently throw away hours of indexing: that needs saying."""
    before = store.get_meta("library_root")
    now = str(Path(library).resolve())
    if gone and before and before != now and not replace_library:
        raise AnimeidError(
            f"{db} was built from {before}, and {library} lacks {len(gone)} of its {stored_files} files "
            f"(such as {gone[0].path}); indexing it would drop them. Put new titles inside {before} and index "
            "that, use another --db, or pass --replace-library to drop them")


# the settings that decide what an entry is; entries made under other values do not mix well
SAMPLING_KEYS = ("fps", "motion_fps", "motion_diff", "merge_similarity", "held_frame_diff", "merge_max_span_s",
                 "decode_short_side")


def _record_sampling(store, cfg: IndexCfg, report: IndexReport) -> None:
    """Keep the sampling settings with the index; a re-run with others is allowed (it only affects
    new files) but said, since one index then answers at two time resolutions."""
    now = {k: getattr(cfg, k) for k in SAMPLING_KEYS}
    before = store.get_meta("sampling")
    if not store.files():
        store.set_meta("sampling", now)
    elif before is None:  # made before settings were recorded: they are unknown, not these
        return
    elif before != now:
        changed = ", ".join(f"{k} {before.get(k)} -> {now[k]}" for k in SAMPLING_KEYS if before.get(k) != now[k])
        report.warnings.append(f"this index was built with other sampling settings ({changed}); new or changed "
                               "files use the new ones, the others keep theirs")


def _run_jobs(index: Index, embedder, jobs: list[_Job], cfg: IndexCfg, report: IndexReport, progress: bool) -> None:
    from tqdm import tqdm

    frames: queue.Queue = queue.Queue(maxsize=cfg.batch_size * 4)
    stop = threading.Event()
    thread = threading.Thread(target=_producer, args=(jobs, cfg, frames, stop), daemon=True)
    thread.start()
    bar = tqdm(total=round(sum(j.duration for j in jobs), 1), unit="s", desc="indexing", disable=not progress,
               file=sys.stderr, bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} video-s [{elapsed}<{remaining}]")
    states: dict[int, _FileState] = {}
    # (file, second, image or None for a held frame identical to the previous one, thumbnail)
    pending: list[tuple[int, float, np.ndarray | None, np.ndarray]] = []
    last_thumb: dict[int, np.ndarray] = {}
    last_vec: dict[int, np.ndarray] = {}
    last_checkpoint = time.monotonic()

    def embed_pending() -> None:
        if not pending:
            return
        fresh = iter(embedder.embed([img for _, _, img, _ in pending if img is not None]))
        for n, t, img, thumb in pending:
            # held frames (anime repeats drawings for many frames) reuse the previous vector
            v = next(fresh) if img is not None else last_vec[n]
            last_vec[n] = v
            st = states.setdefault(n, _FileState(jobs[n], cfg.merge_similarity, cfg.merge_max_span_s,
                                                   embedder.cfg.metric))
            st.add(t, v, thumb)
        report.frames += len(pending)
        pending.clear()

    def checkpoint(n: int, finished: bool) -> None:
        st = states.get(n)
        if st is None:
            if finished:
                index.store.commit_entries(jobs[n].file_id, [], jobs[n].start + jobs[n].duration, True)
            return
        if finished:
            st.close()
        rows, vecs = st.take()
        if rows:
            st.done_until = rows[-1][2]
        if finished:
            st.done_until = max(st.done_until, jobs[n].start + jobs[n].duration)
        index.append(jobs[n].file_id, rows, vecs, st.done_until, finished)
        report.entries += len(rows)

    done_seconds = 0.0
    try:
        while True:
            item = frames.get()
            if item is _END:
                break
            n, t, payload = item
            if t == "warning":
                report.warnings.append(payload)
                continue
            if t == "end" or t == "error":
                embed_pending()
                if t == "error":
                    report.failed[jobs[n].video.relpath] = payload
                    checkpoint(n, finished=False)
                else:
                    checkpoint(n, finished=True)
                    report.video_seconds += jobs[n].duration or payload
                    if not jobs[n].duration and payload:   # its header gave no length: what decoded
                        index.store.set_duration(jobs[n].file_id, jobs[n].start + payload)
                done_seconds += jobs[n].duration
                bar.n = min(done_seconds, bar.total)
                bar.refresh()
                states.pop(n, None)
                continue
            img, thumb = payload
            prev = last_thumb.get(n)
            held = prev is not None and float(np.abs(thumb.astype(np.int16) - prev).mean()) < cfg.held_frame_diff
            last_thumb[n] = thumb
            pending.append((n, t, None if held else img, thumb))
            if len(pending) >= cfg.batch_size:
                embed_pending()
                bar.n = min(done_seconds + max(0.0, t - jobs[n].start), bar.total)
                bar.refresh()
            if time.monotonic() - last_checkpoint > cfg.checkpoint_seconds:
                embed_pending()
                for m in list(states):
                    checkpoint(m, finished=False)
                last_checkpoint = time.monotonic()
    except KeyboardInterrupt:
        stop.set()
        for m in list(states):
            checkpoint(m, finished=False)
        index.flush()
        raise
    finally:
        stop.set()
        bar.close()

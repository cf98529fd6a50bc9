"""Clips as queries. A GIF or a few seconds of video is many screenshots whose spacing is known: each
sampled frame is searched on its own, and the answers that agree on where the clip starts (answer
time minus the frame's offset in the clip) vote together. So one frame of a held drawing, a crop of
a pan or a frame that happens to look like another episode cannot outvote the rest of the clip, and
a clip that runs past a held drawing pins down when that drawing was shown."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from functools import partial
from pathlib import Path
from typing import Iterator

import numpy as np

from animeid.config import ClipCfg, ImageLimits, IndexCfg
from animeid.errors import BadVideo, errors_naming
from animeid.number_checks import check_k
from animeid.scenes.hits import SceneHit


@dataclass(frozen=True)
class ClipHit:
    """`scene.at` and `scene.from_` are where the clip's first sampled frame falls in the episode,
    `scene.to` where its last one does; `frames` is how many sampled frames agree with that. The
    scene's fields read through (`hit.title`, `hit.at`), as on the hits `Index.search` answers."""

    scene: SceneHit
    frames: int

    def to_dict(self) -> dict:
        return {**self.scene.to_dict(), "frames": self.frames}

    def __getattr__(self, name: str):
        if name in {f.name for f in fields(SceneHit)}:   # only for names ClipHit lacks
            return getattr(self.scene, name)
        raise AttributeError(f"'ClipHit' object has no attribute {name!r}")


@dataclass(frozen=True)
class ClipAnswer:
    """The hits of a clip, best first, and what was sampled of it. It reads like the list of hits
    `Index.search` answers a screenshot with (`len`, `answer[0]`, `for hit in answer`), so code
    written for screenshots takes clips too."""

    hits: list[ClipHit]
    sampled: int
    seconds: float

    def to_dict(self) -> dict:
        """What `animeid search CLIP --json` prints for the clip (without the name it was given),
        so a Python caller's `json.dumps` keeps the answer, not just the sampling."""
        return {"results": [h.to_dict() for h in self.hits], "clip": self.summary()}

    def summary(self) -> dict:
        """The "clip" object of the JSON answer: how many frames were sampled over how long."""
        return {"frames": self.sampled, "seconds": round(self.seconds, 3)}

    def __len__(self) -> int:
        return len(self.hits)

    def __getitem__(self, i):
        return self.hits[i]

    def __iter__(self) -> Iterator[ClipHit]:
        return iter(self.hits)


# pictures that can hold several frames: a clip when they do (an animated GIF, WebP or PNG)
_ANIMATED_PICTURES = (".gif", ".webp", ".png", ".apng")


def is_clip(source) -> bool:
    """A file to search as a clip: a video by its extension, or a GIF, WebP or PNG (APNG) with more
    than one frame (a one-frame one is a picture). Anything else, or a picture that cannot be
    opened, goes to the image loader, which says what is wrong with it."""
    if not isinstance(source, (str, os.PathLike)):
        return False
    suffix = Path(source).suffix.lower()
    if suffix not in _ANIMATED_PICTURES:
        if suffix not in IndexCfg().video_extensions:
            return False
        # a picture saved under a video's name is answered as the picture it is, as an upload of
        # the same bytes is (by its leading bytes): a one-frame "clip" answer differs from it
        return not _picture_head(source) or _animated(source)
    return _animated(source)


def _picture_head(path) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return False   # the video decoder says what is wrong with it
    return (head[:3] == b"\xff\xd8\xff" or head[:8] == _PNG_SIGNATURE or head[:6] in (b"GIF87a", b"GIF89a")
            or head[:2] == b"BM" or _is_webp(head))


def _animated(source) -> bool:
    """Whether Pillow opens `source` (a path or a file object) as more than one frame."""
    try:
        from PIL import Image

        from animeid.media.images import bomb_warning_ignored

        with bomb_warning_ignored():  # over PIL's bomb threshold: sample_clip says it is too large
            with Image.open(source) as im:  # is_animated stops at the second frame, n_frames reads all
                return bool(getattr(im, "is_animated", False))
    except Exception:
        return False


def clip_suffix(data: bytes) -> str | None:
    """For an upload (bytes, no file name): the extension of the clip it is (".gif", ".webp" and
    ".apng" for an animated GIF, WebP and PNG, ".mp4" for MP4/MOV, ".mkv" for Matroska/WebM,
    ".avi"), from its leading bytes; None for a picture or anything else, which the image loader
    then explains."""
    import io

    from animeid.media.images import video_suffix

    head = bytes(data[:32])
    video = video_suffix(head)
    if video:
        return video
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return ".gif" if _animated(io.BytesIO(data)) else None
    if _is_webp(head):
        # an animation is announced by the animation flag of the VP8X chunk, which comes first
        announced = head[12:16] == b"VP8X" and len(head) > 20 and head[20] & 0x02
        return ".webp" if announced and _animated(io.BytesIO(data)) else None
    if head[:8] == _PNG_SIGNATURE:
        return ".apng" if _png_has_actl(data) and _animated(io.BytesIO(data)) else None
    return None


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _is_webp(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _png_has_actl(data: bytes) -> bool:
    """An APNG: an acTL chunk before the first IDAT (the chunks of a plain PNG's picture)."""
    pos = 8
    while pos + 8 <= len(data):
        kind = data[pos + 4:pos + 8]
        if kind in (b"acTL", b"IDAT"):
            return kind == b"acTL"
        pos += 12 + int.from_bytes(data[pos:pos + 4], "big")   # length, type, data, CRC
    return False


@contextmanager
def clip_upload(data: bytes, suffix: str, shown: str) -> Iterator[Path]:
    """A clip that came as bytes (an upload, standard input; `suffix` from `clip_suffix`) as a
    private temporary file, since the decoders read files; removed afterwards. Errors raised inside
    name it `shown`, not the temporary path."""
    with tempfile.TemporaryDirectory(prefix="animeid-clip-") as tmp:
        path = Path(tmp) / f"clip{suffix}"
        path.write_bytes(data)
        with errors_naming(str(path), shown):
            yield path


def sample_clip(path: str | os.PathLike, cfg: ClipCfg, short_side: int | None,
                limits: ImageLimits = ImageLimits()) -> list[tuple[float, np.ndarray]]:
    """(seconds from the clip's first frame, RGB) at `cfg.fps`, slowed down so that at most
    `cfg.max_frames` cover the part of the clip `_span` allows. Frames an uploaded picture could
    not have (`limits`) are refused alike: a clip must not be a way around the decompression-bomb
    guard, nor a 4-pixel video answered with noise. Decoded by FFmpeg (PyAV), but an animated WebP,
    which FFmpeg cannot decode, by Pillow (`clip_frames_pillow`)."""
    from animeid.media.video import iter_frames, open_video, video_stream

    path = Path(path)
    try:
        with path.open("rb") as f:
            webp = _is_webp(f.read(12))
    except OSError:
        webp = False  # open_video says what is wrong with it
    if webp:
        from animeid.scenes.clip_frames_pillow import iter_webp_frames, webp_timings

        (w, h), timings = webp_timings(path)
        _check_size(path, w, h, limits)
        window = _span(timings, cfg, w * h)
        frames_of = partial(iter_webp_frames, limits=limits)
    else:
        container = open_video(path)  # BadVideo for a missing, empty or unreadable file, or one without video
        try:
            ctx = video_stream(container, path).codec_context
            w, h = ctx.width, ctx.height
            if w and h:
                _check_size(path, w, h, limits)
            window = _window(container, cfg, w * h)
        finally:
            container.close()
        frames_of = iter_frames
    fps = min(cfg.fps, cfg.max_frames / window) if window > 0 else cfg.fps
    frames: list[tuple[float, np.ndarray]] = []
    stream = frames_of(path, fps=fps, short_side=short_side)
    try:
        first = None
        for t, rgb in stream:
            # decoding counts from the container's start, which a video track can begin after
            first = t if first is None else first
            if t - first >= (window or cfg.max_seconds):  # the window's end is the first frame beyond it
                break
            frames.append((t - first, rgb))
            if len(frames) == cfg.max_frames:  # not another frame decoded up to the next instant
                break
    finally:
        stream.close()
    if not frames:
        raise BadVideo(f"{path}: no decodable frames")
    return frames


def _check_size(path: Path, w: int, h: int, limits: ImageLimits) -> None:
    if w * h > limits.max_pixels:
        raise BadVideo(f"{path}: frames are {w}x{h}, above the {limits.max_pixels:,}-pixel limit")
    if min(w, h) < limits.min_side:
        raise BadVideo(f"{path}: frames are {w}x{h}, too small to recognise anything")


def _window(container, cfg: ClipCfg, pixels_per_frame: int) -> float:
    """`_span` of a video, read from its packets' timestamps without decoding: they are the ones
    frames are decoded with, while the duration a container declares can disagree (FFmpeg plays a
    GIF whose delays are all 0 at 100 ms a frame yet declares a fraction of that) or be missing,
    and 2 frames a second over a misjudged length cover only the first 8 s."""
    import av

    from animeid.media.video import video_stream

    def packet_times():
        stream = video_stream(container)
        tb = stream.time_base
        try:
            for packet in container.demux(stream):
                if packet.pts is None or tb is None:
                    yield None, 0.0
                else:
                    yield float(packet.pts * tb), float((packet.duration or 0) * tb)
        except (av.error.FFmpegError, OSError):
            return  # a truncated file: as far as it could be read, as the decoder will

    packets = packet_times()
    try:
        return _span(packets, cfg, pixels_per_frame)
    finally:
        packets.close()


def _span(timings, cfg: ClipCfg, pixels_per_frame: int) -> float:
    """Seconds of the clip to sample, from its frames' (start, duration) in seconds (start None:
    unknown, but the frame is decoded all the same): to the end of its last frame, at most
    `cfg.max_seconds`, and only as far as `cfg.max_decoded_pixels` allows (every frame is
    decoded: 60 s of 4K would take most of a minute). 0.0 if nothing says."""
    budget = max(1, int(cfg.max_decoded_pixels // max(pixels_per_frame, 1)))  # frames to decode
    first = end = None
    for n, (t, duration) in enumerate(timings):
        if t is None:
            continue
        first = t if first is None else min(first, t)
        if t - first > cfg.max_seconds or n >= budget:
            return min(t - first, cfg.max_seconds)
        end = max(t if end is None else end, t + duration)
    return 0.0 if first is None else min(end - first, cfg.max_seconds)


def vote(per_frame: list[tuple[float, list[SceneHit]]], agree_s: float, seconds: float) -> list[ClipHit]:
    """Group every frame's answers by file and the clip start they allow. An answer allows its
    second minus the frame's offset, give or take `agree_s` / 2; a held drawing's answer
    (`SceneHit.held`) allows its whole span so, since the frame could have been taken at any second
    of it (its `at`, the drawing's middle, would put every still frame of a clip at another start).
    Best answers first, an exact answer joins the first group of its file whose allowed starts (the
    intersection of its members') overlap its own, narrowing them; each frame counts at most once
    per group. Held answers come after every exact one and join *every* group of their file they
    overlap: a held frame supports all the starts its span allows, so seeding or joining only one
    group would hand its vote to whichever start a better (possibly wrong) answer happened to pin
    there first, and the frames that agree on the right start would count one frame short. A held
    answer seeds a group of its own only when it could join none. Groups rank by the summed
    similarity of their frames (agreement of many frames beats one very similar frame), then by
    mean similarity. A group's start is the median of its exact (not held) answers' starts, kept
    inside what the group allows, or the middle of that. A start up to `agree_s` before the file
    begins is placement noise and counts as 0; one further back is impossible (the clip would
    begin before the file does) and is dropped, or a wrong scene of the right file would come back
    clamped to 0:00 beside the right answer."""
    tol = agree_s / 2
    offset_of = [offset for offset, _ in per_frame]
    answers = sorted(((h.held is not None, h.similarity, i, offset, h)
                      for i, (offset, hits) in enumerate(per_frame) for h in hits),
                     key=lambda c: (c[0], -c[1], c[2]))
    groups: list[list] = []   # [file, lowest start, highest start, {frame: answer}]
    for _, _, i, offset, hit in answers:
        first, last = hit.held or (hit.at, hit.at)
        lo, hi = max(first - offset - tol, -tol), last - offset + tol
        if hi < lo:
            continue
        overlapped = joined = False
        for group in groups:
            if group[0] == hit.file and max(group[1], lo) <= min(group[2], hi):
                overlapped = True
                if i not in group[3]:
                    group[3][i] = hit
                    group[1], group[2] = max(group[1], lo), min(group[2], hi)
                    joined = True
                if hit.held is None:
                    break
        if not (joined if hit.held is not None else overlapped):
            groups.append([hit.file, lo, hi, {i: hit}])
    out = []
    for _, lo, hi, members in groups:
        sims = [h.similarity for h in members.values()]
        best = max(members.values(), key=lambda h: h.similarity)
        exact = [h.at - offset_of[i] for i, h in members.items() if not h.held]
        start = float(np.clip(np.median(exact), lo, hi)) if exact else (lo + hi) / 2
        start = max(start, 0.0)
        scene = SceneHit(title=best.title, episode=best.episode, file=best.file, from_=start, at=start,
                         to=start + seconds, similarity=float(np.mean(sims)), entry_id=best.entry_id,
                         file_id=best.file_id, rank_score=float(np.sum(sims)))
        out.append(ClipHit(scene, len(members)))
    return sorted(out, key=lambda c: (-c.scene.order_key, -c.scene.similarity))


def search_clip(index, path: str | os.PathLike, k: int | None = None, title: str | None = None,
                cfg: ClipCfg | None = None, search_cfg=None) -> ClipAnswer:
    """Scenes where the clip at `path` comes from, best first. `index` is an `Index` or a
    `ShardedIndex`: each sampled frame goes through its ordinary `search` (with `search_cfg`,
    default the index's own)."""
    from animeid.media.images import url_refusal

    if refusal := url_refusal(path, "clip"):
        raise BadVideo(refusal)
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise BadVideo(f"a clip is searched by its file's path, not {type(path).__name__}: write the bytes to a "
                       "file first (or give `animeid search` a - to read standard input)")
    cfg, scfg = cfg or ClipCfg(), search_cfg or index.search_cfg
    check_k(k, scfg.k)
    return search_frames(index, sample_clip(path, cfg, scfg.query_short_side, clip_limits(index)), k, title,
                         cfg, scfg)


def clip_limits(index) -> ImageLimits:
    """The limits a clip's frames are held to: those the index decodes screenshots with. A
    ShardedIndex decodes them with its first shard's (a server sets the shards'), not the
    library's defaults."""
    from animeid.distribute.sharded_index import ShardedIndex

    return (index.shards[0] if isinstance(index, ShardedIndex) else index).limits


def search_frames(index, frames: list[tuple[float, np.ndarray]], k: int | None = None, title: str | None = None,
                  cfg: ClipCfg = ClipCfg(), search_cfg=None) -> ClipAnswer:
    """`search_clip` once the clip is decoded (`sample_clip`): a server decodes before it takes the
    index's lock, so a long decode does not hold other searches up."""
    # its frames vote and are aligned on the index's entries: decoding the library's video around
    # each frame's answer would cost ~0.1 s per frame for a step the vote does not use
    scfg = replace(search_cfg or index.search_cfg, frame_placement=False)
    t0 = frames[0][0]
    per_frame = [(t - t0, index.search(rgb, k=cfg.per_frame_k, title=title, cfg=scfg)) for t, rgb in frames]
    seconds = frames[-1][0] - t0
    ranked = vote(per_frame, cfg.agree_s, seconds)
    if ranked and cfg.align_reach_s > 0 and scfg.refine_time:
        ranked = _aligned(index, ranked, frames, [o for o, _ in per_frame], seconds, cfg, scfg)
    return ClipAnswer(ranked[:check_k(k, scfg.k)], len(frames), seconds)


def _aligned(index, ranked: list[ClipHit], frames: list[tuple[float, np.ndarray]], offsets: list[float],
             seconds: float, cfg: ClipCfg, scfg) -> list[ClipHit]:
    """`ranked` with the best file's answers (among the first `cfg.align_candidates`) aligned, the
    one that fits best first, and its file's other answers that land on the same start dropped. The
    vote chose the file; inside it, its starts are only as good as the frames' single best moments,
    and a clip around a still or a pan can come back as answers a second or two apart, which only
    matching every frame at once tells apart."""
    from animeid.media.borders import trim_borders
    from animeid.scenes.clip_align import FrameScores, aligned_start
    from animeid.scenes.refine import thumbnail

    thumbs = [thumbnail(trim_borders(rgb) if scfg.trim_borders else rgb) for _, rgb in frames]
    file = ranked[0].scene.file
    placed, scored = {}, FrameScores(thumbs)
    for j, hit in enumerate(ranked[: cfg.align_candidates]):
        if hit.scene.file == file:
            fit = aligned_start(index, hit.scene.entry_id, thumbs, offsets, hit.scene.at, seconds,
                                cfg.align_reach_s, cfg.align_step_s, scfg.time_tie_ncc, scored)
            if fit is not None:
                placed[j] = fit
    if not placed:
        return ranked
    top_fit = max(fit for _, fit in placed.values())
    best = min(j for j, (_, fit) in placed.items() if fit >= top_fit - scfg.time_tie_ncc)  # ties: the vote's order
    start = placed[best][0]
    first = ClipHit(replace(ranked[best].scene, from_=start, at=start, to=start + seconds), ranked[best].frames)
    rest = [h for j, h in enumerate(ranked) if j != best and not (
        h.scene.file == file and abs(placed.get(j, (h.scene.at,))[0] - start) <= cfg.agree_s)]
    return [first] + rest

"""Typed defaults. Every tunable number of the package lives here, nowhere else, so that a stored
index can record exactly the settings it was built with."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class EmbedderCfg:
    """What a backbone expects and produces: enough to preprocess an image and to refuse mixing."""

    name: str
    input_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    dim: int
    weights_sha256: str = ""
    # "cosine" (vectors are L2-normalised, compared by inner product) or "l2" (raw vectors).
    metric: str = "cosine"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "EmbedderCfg":
        d = dict(d)
        d["mean"] = tuple(d["mean"])
        d["std"] = tuple(d["std"])
        return cls(**d)


@dataclass(frozen=True)
class ImageLimits:
    """Guards against decompression bombs and empty uploads."""

    max_pixels: int = 64_000_000
    max_bytes: int = 50 * 1024 * 1024
    min_side: int = 8


@dataclass(frozen=True)
class IndexCfg:
    """How a video library becomes index entries."""

    fps: float = 2.0
    # Between those samples, fast action adds frames: at most `motion_fps` a second, each when the
    # picture changed by more than `motion_diff` (mean absolute grey difference, 0-255) since the
    # last sample. Held drawings add nothing; 0 disables it.
    motion_fps: float = 8.0
    motion_diff: float = 12.0
    embedder: str = "efficientnet-lite0"
    # FAISS factory string; inner product over L2-normalised vectors is cosine similarity. None: the
    # index's stored one, "Flat" for a new index.
    factory: str | None = None
    # Consecutive samples at least this similar collapse into one entry spanning from/to.
    merge_similarity: float = 0.99
    # A sample whose grey thumbnail differs from the previous sample's by less than this (mean absolute
    # difference, 0-255) is a held drawing: it reuses the previous vector instead of being embedded.
    held_frame_diff: float = 1.0
    # ...but an entry never spans more than this, so its midpoint is within a second of any frame in it.
    merge_max_span_s: float = 1.0
    # Decoded frames are scaled so that their short side is at most this (cheaper conversion).
    decode_short_side: int = 256
    batch_size: int = 16
    # Commit to disk after this many seconds of work so a killed run loses little.
    checkpoint_seconds: float = 20.0
    # Files a library is scanned for (and clips recognised by): the usual containers, TV and disc
    # recordings (MPEG-TS, M2TS), and old fansub containers (FLV, WMV, MPEG-PS).
    video_extensions: tuple[str, ...] = (".mp4", ".mkv", ".webm", ".avi", ".mov", ".gif", ".m4v", ".ts", ".m2ts",
                                         ".flv", ".wmv", ".mpg", ".mpeg")
    # A re-run on another folder than the index was built from may drop the files that folder
    # lacks only when told to (`--replace-library`): otherwise it is refused.
    replace_library: bool = False


def embedder_changes(stored: dict, now: dict, keys=None) -> list[tuple[str, object, object]]:
    """(field, stored value, value now) for each field of a stored embedder config (those in `keys`,
    if given) that the config registered now holds otherwise: the same weights fed another size,
    mean or std embed otherwise, and the stored vectors cannot be compared with new ones. A field
    the stored config lacks (a store from before it was recorded) is not compared; lists and tuples
    of numbers compare alike, since a config read back from JSON holds lists."""
    def comparable(value):
        return [float(v) for v in value] if isinstance(value, (list, tuple)) else value

    return [(k, stored[k], now.get(k)) for k in (stored if keys is None else keys)
            if k in stored and comparable(stored[k]) != comparable(now.get(k))]


@dataclass(frozen=True)
class SearchCfg:
    """How a screenshot becomes a ranked list of scenes."""

    k: int = 5
    # Candidates fetched from the vector index before scenes are merged.
    candidates: int = 64
    # Inverted lists visited by IVF indexes (ignored by Flat): recall@10 0.958 at 1 M frames.
    nprobe: int = 32
    # Hits in one file closer than this many seconds belong to one scene.
    scene_gap_s: float = 4.0
    trim_borders: bool = True
    query_mirror: bool = True
    # Screenshots are reduced to this short side before anything else (as indexed frames were).
    query_short_side: int = 288
    # Extra query views: centre crops by these area fractions, scaled back (for zoomed/cropped shots).
    zoom_views: tuple[float, ...] = ()
    # Re-rank the entries around each found scene by thumbnail correlation to place it in time.
    refine_time: bool = True
    refine_margin_s: float = 1.5
    # Entries around the best whose thumbnail correlation is within this of it are one held drawing
    # (noise is ~0.001 between identical frames); the answer is the middle of their run.
    time_tie_ncc: float = 0.005
    # Weight of thumbnail correlation (in [-1, 1]) added to cosine similarity when ranking candidates.
    thumbnail_weight: float = 0.5
    # Only candidates this close to the best cosine similarity are re-ranked (the others cannot win).
    rerank_reach: float = 0.2
    # ...and at most this many of them, best first (the correlation costs ~0.3 ms per candidate).
    rerank_max: int = 8
    # Scenes placed in time by the thumbnail search around them (the rest keep their best entry).
    refine_top: int = 1
    # Then the best scene is placed on its exact frame by decoding its video around it, when the
    # library's file is reachable and unchanged (`animeid.scenes.frame_placement`): this many
    # seconds either side of the answer, at most `frame_fps` frames a second (an answer within 1 s
    # needs no more), `frame_width` pixels wide, grey...
    frame_placement: bool = True
    frame_window_s: float = 3.0
    frame_fps: float = 8.0
    frame_width: int = 160
    # ...frames whose correlation is within this of the best (or within this share of what the best
    # lacks of 1, for noisy screenshots) show one drawing, and the answer is the middle of their run...
    frame_tie_ncc: float = 0.002
    frame_tie_share: float = 0.2
    # ...and the answer is not moved when no frame correlates this well (no evidence it is there)...
    frame_min_ncc: float = 0.5
    # ...and not when reaching the window means decoding more than this many pixels (decoding
    # starts at the keyframe before it): 24 s of 1080p at 24 fps, a 10 s group of pictures and the
    # window with room to spare (about 0.5 s on 2 cores, bench/frame_placement.py); 6 s of 4K.
    frame_max_decoded_pixels: float = 1.2e9
    # A held drawing's run of `exact_min_run_s` or more is decoded again at the video's own size
    # when the screenshot is at that size (a player's screenshot, or a crop of one): the codec's
    # noise differs frame by frame, so the frame the screenshot was taken from mostly fits it best
    # (`animeid.scenes.exact_frame`), if one fits with a correlation of `exact_min_ncc`. It costs
    # p50 ~0.46 s more at 720p and ~0.97 s at 1080p (bench/frame_placement.py); 1.0 s instead of
    # 0.5 s lost a crop query of the scene bench's seed 0.
    exact_frame: bool = True
    exact_min_run_s: float = 0.5
    exact_min_ncc: float = 0.999

    def __post_init__(self):
        if any(not 0 < a <= 1 for a in self.zoom_views):
            raise ValueError(f"zoom_views are shares of the picture in (0, 1], got {self.zoom_views}")
        # counts and sizes that, out of range, gave a PIL traceback or a silently wrong answer
        whole = {"k": (self.k, 1), "candidates": (self.candidates, 1), "nprobe": (self.nprobe, 1),
                 "query_short_side": (self.query_short_side, 32), "frame_width": (self.frame_width, 16),
                 "rerank_max": (self.rerank_max, 1), "refine_top": (self.refine_top, 0)}
        for name, (value, least) in whole.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"SearchCfg.{name} must be a whole number >= {least}, got {value!r}")
        for name in ("trim_borders", "query_mirror", "refine_time", "frame_placement", "exact_frame"):
            value = getattr(self, name)
            # "no" was taken as True; 0 / 1 and NumPy booleans are the switches they look like
            if type(value).__name__ not in ("bool", "bool_") and not (isinstance(value, int) and value in (0, 1)):
                raise ValueError(f"SearchCfg.{name} must be True or False, got {value!r}")
            object.__setattr__(self, name, bool(value))
        for name in ("frame_window_s", "frame_fps", "refine_margin_s", "frame_max_decoded_pixels", "exact_min_run_s",
                     "exact_min_ncc"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
                raise ValueError(f"SearchCfg.{name} must be a number above 0, got {value!r}")


@dataclass(frozen=True)
class ClipCfg:
    """How a short clip (a GIF, a video someone recorded or cut) is searched: as a few screenshots
    whose spacing is known, so their answers can vote on where the clip starts."""

    # Frames sampled from the clip per second, and at most this many over its whole length.
    fps: float = 2.0
    max_frames: int = 16
    # Only the first `max_seconds` of a longer clip are looked at (a query, not a library)...
    max_seconds: float = 60.0
    # ...and fewer when decoding them would mean more than this many pixels (every frame is decoded,
    # whatever is sampled): a minute of 1080p at 30 fps (~6 s on 2 cores), 8 s of 4K at 60 fps.
    max_decoded_pixels: float = 4e9
    # Scenes asked for per sampled frame: the right one may be second for a single frame.
    per_frame_k: int = 5
    # Frames whose answers put the clip's start within this many seconds of each other agree.
    agree_s: float = 1.0
    # The best answer's file is then settled by aligning: each of its answers among the first
    # `align_candidates` is moved within this reach (on a grid of `align_step_s`) to where all
    # sampled frames match the entries shown at their own seconds best, and the answer that fits
    # best comes first (0: no alignment).
    align_reach_s: float = 1.5
    align_step_s: float = 0.05
    align_candidates: int = 4

    def __post_init__(self):
        if not (self.fps > 0 and self.max_frames >= 1 and self.max_seconds > 0 and self.per_frame_k >= 1
                and self.agree_s > 0 and self.max_decoded_pixels > 0 and self.align_reach_s >= 0
                and self.align_step_s > 0 and self.align_candidates >= 1):
            raise ValueError(f"ClipCfg needs positive settings, got {self}")


@dataclass(frozen=True)
class Settings:
    """Bundle handed to entry points that need several configs."""

    index: IndexCfg = field(default_factory=IndexCfg)
    search: SearchCfg = field(default_factory=SearchCfg)
    limits: ImageLimits = field(default_factory=ImageLimits)

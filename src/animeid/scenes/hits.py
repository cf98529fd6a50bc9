"""From raw nearest-neighbour hits to scenes, as trace.moe answers: hits in one file a few seconds
apart are one scene, reported with its span (from/to), its best second (at) and best similarity."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FrameHit:
    entry_id: int
    file: str
    title: str
    episode: float | int | None
    t_from: float
    t_at: float
    t_to: float
    similarity: float
    file_id: int = -1
    # what ranks the hit; the CNN similarity unless a re-ranker refined it
    score: float | None = None

    @property
    def rank_score(self) -> float:
        return self.similarity if self.score is None else self.score


@dataclass(frozen=True)
class SceneHit:
    """One answer of a scene search. `from_` (Python keeps `from`) is "from" in `to_dict()`, the
    object `animeid search --json` prints, and `entry_id` is its "id"; the fields after `entry_id`
    are the search's own bookkeeping. `episode` is an int for a whole episode, as the CLI prints it."""

    title: str
    episode: float | int | None
    file: str
    from_: float
    at: float
    to: float
    similarity: float
    entry_id: int
    file_id: int = -1
    # the order the search gave it (see `FrameHit.rank_score`); merging shards must keep it
    rank_score: float | None = None
    # (first, last second) the answer's drawing was on screen when it was held over several entries:
    # `at` is then its middle, and any second of the span is as likely (clips use this)
    held: tuple[float, float] | None = None

    @property
    def order_key(self) -> float:
        return self.similarity if self.rank_score is None else self.rank_score

    def __post_init__(self):
        # SQLite stores episodes as REAL (a recap is 12.5): episode 7 came back as 7.0
        if isinstance(self.episode, float) and self.episode.is_integer():
            object.__setattr__(self, "episode", int(self.episode))

    def to_dict(self) -> dict:
        return {"title": self.title, "episode": self.episode, "file": self.file, "from": round(self.from_, 3),
                "at": round(self.at, 3), "to": round(self.to, 3), "similarity": round(float(self.similarity), 4),
                "id": self.entry_id}


def merge_scenes(hits: list[FrameHit], gap_s: float, drop: float = 0.02) -> list[SceneHit]:
    """Greedy, best hit first: a hit joins a scene of its file when it lies within `gap_s` seconds of
    the scene's span and is nearly as similar as the scene's best (within `drop`); otherwise it seeds
    a new scene. So a static shot comes back as one scene spanning all its identical frames, while
    merely similar moments elsewhere in the episode stay separate answers."""
    groups: list[list[FrameHit]] = []
    for h in sorted(hits, key=lambda h: -h.rank_score):
        for g in groups:
            best = g[0]
            lo, hi = min(x.t_from for x in g), max(x.t_to for x in g)
            if (g[0].file == h.file and best.rank_score - h.rank_score <= drop
                    and h.t_from - hi <= gap_s and lo - h.t_to <= gap_s):
                g.append(h)
                break
        else:
            groups.append([h])
    return [_scene(g) for g in groups]


def _scene(group: list[FrameHit]) -> SceneHit:
    best = group[0]
    return SceneHit(title=best.title, episode=best.episode, file=best.file,
                    from_=min(h.t_from for h in group), at=best.t_at, to=max(h.t_to for h in group),
                    similarity=best.similarity, entry_id=best.entry_id, file_id=best.file_id,
                    rank_score=best.rank_score)

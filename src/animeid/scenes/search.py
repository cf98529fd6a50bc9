"""The search pipeline after embedding, as plain functions: nearest entries per view -> metadata
-> re-rank by thumbnail correlation -> scenes -> place each scene in time."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from animeid.config import SearchCfg
from animeid.scenes.hits import FrameHit, SceneHit, merge_scenes
from animeid.scenes.refine import THUMB_H, THUMB_W, CropMatcher
from animeid.store.metadata import MetadataStore
from animeid.store.vectors import VectorIndex


def nearest_entries(vectors: VectorIndex, queries: np.ndarray, n: int,
                    nprobe: int | None = None, only: np.ndarray | None = None) -> dict[int, float]:
    """Best raw score per entry over all views of the screenshot (of the entries `only`, if given)."""
    scores, ids = vectors.search(queries, n, nprobe=nprobe, only=only)
    best: dict[int, float] = {}
    for row_s, row_i in zip(scores, ids):
        for s, i in zip(row_s.tolist(), row_i.tolist()):
            if i >= 0 and s > best.get(i, -np.inf):
                best[i] = s
    return best


def _thumbs(blobs: list[bytes]) -> np.ndarray:
    return np.stack([np.frombuffer(b, np.uint8).reshape(THUMB_H, THUMB_W) for b in blobs])


class ThumbnailScorer:
    """Correlation of one screenshot's thumbnail with entries' thumbnails, each computed once per
    search. The orientation (mirrored or not) is decided once, on the first candidates, by the
    correlation itself: which view the CNN preferred is no guide, since a frame and its mirror image
    embed almost alike."""

    def __init__(self, query_thumb: np.ndarray, probe: int = 4):
        self.cache: dict[int, float] = {}
        self.straight = CropMatcher(query_thumb, (False,))
        self.mirrored = CropMatcher(query_thumb, (True,))
        self.matcher: CropMatcher | None = None
        self.probe = probe

    def scores(self, ids: list[int], blobs: list[bytes | None]) -> dict[int, float]:
        todo = [j for j, i in enumerate(ids) if i not in self.cache and blobs[j]]
        if todo and self.matcher is None:
            first = _thumbs([blobs[j] for j in todo[: self.probe]])
            straight, mirrored = self.straight.scores(first), self.mirrored.scores(first)
            self.matcher = self.mirrored if mirrored.max() > straight.max() else self.straight
            self.cache.update({ids[j]: float(max(a, b)) for j, a, b in zip(todo, straight, mirrored)})
            todo = todo[self.probe:]
        if todo:
            ncc = self.matcher.scores(_thumbs([blobs[j] for j in todo]))
            self.cache.update({ids[j]: float(v) for j, v in zip(todo, ncc)})
        return {i: self.cache[i] for i in ids if i in self.cache}


def rerank(hits: list[FrameHit], blobs: list[bytes | None], scorer: ThumbnailScorer,
           weight: float, reach: float, limit: int) -> list[FrameHit]:
    """Order the moments inside each file by similarity + `weight` x thumbnail correlation, while
    files keep the order of their best CNN similarity. The CNN vector decides what is shown (title,
    file); the correlation, which knows where things are in the frame, decides between near-equal
    moments of one file, and can never promote another file."""
    if not hits or weight <= 0:
        return hits
    top = max(h.similarity for h in hits)
    # best first: the scorer decides the orientation on the first few
    near = sorted((j for j, h in enumerate(hits) if h.similarity >= top - reach),
                  key=lambda j: -hits[j].similarity)[:limit]
    ncc = scorer.scores([hits[j].entry_id for j in near], [blobs[j] for j in near])
    local = {j: hits[j].similarity + weight * ncc[hits[j].entry_id] for j in near if hits[j].entry_id in ncc}
    file_best: dict[str, float] = {}
    file_top_local: dict[str, float] = {}
    for j, h in enumerate(hits):
        file_best[h.file] = max(file_best.get(h.file, -np.inf), h.similarity)
        if j in local:
            file_top_local[h.file] = max(file_top_local.get(h.file, -np.inf), local[j])
    out = list(hits)
    for j, value in local.items():
        f = hits[j].file
        out[j] = replace(hits[j], score=file_best[f] - (file_top_local[f] - value))
    return out


def refine_in_time(store: MetadataStore, scene: SceneHit, scorer: ThumbnailScorer, margin: float,
                   tie: float = 0.0) -> SceneHit:
    """Place a scene at the entry around it whose thumbnail matches the screenshot best.

    Anime holds drawings for seconds: neighbouring entries that correlate within `tie` of the best
    are one indistinguishable moment, and any of their seconds is as likely to be the screenshot's.
    The middle of that run is the answer that is least far from all of them."""
    rows = [r for r in store.window(scene.file_id, scene.from_ - margin, scene.to + margin) if r[4]]
    if len(rows) < 2:
        return scene
    ncc = scorer.scores([r[0] for r in rows], [r[4] for r in rows])
    values = [ncc.get(r[0], -2.0) for r in rows]
    best = int(np.argmax(values))
    lo, hi = tied_run(values, best, tie)
    if hi > lo:
        # the drawing was first and last seen at these samples; it started and ended somewhere
        # between them and the different samples around them: halfway is the unbiased guess
        start = (rows[lo - 1][3] + rows[lo][1]) / 2 if lo > 0 else rows[lo][1]
        end = (rows[hi][3] + rows[hi + 1][1]) / 2 if hi + 1 < len(rows) else rows[hi][3]
        at, held = (start + end) / 2, (start, end)
    else:
        at, held = rows[best][2], None
    return replace(scene, at=at, from_=min(scene.from_, rows[lo][1]), to=max(scene.to, rows[hi][3]),
                   entry_id=rows[best][0], held=held)


def tied_run(values: list[float], best: int, tie: float) -> tuple[int, int]:
    """First and last index of the contiguous run around `best` whose values are within `tie` of it."""
    lo = hi = best
    while lo > 0 and values[lo - 1] >= values[best] - tie:
        lo -= 1
    while hi < len(values) - 1 and values[hi + 1] >= values[best] - tie:
        hi += 1
    return lo, hi


def search_scenes(vectors: VectorIndex, store: MetadataStore, queries: np.ndarray, k: int, cfg: SearchCfg,
                  similarity, query_thumb: np.ndarray | None = None, title: str | None = None) -> list[SceneHit]:
    if vectors.ntotal == 0:
        return []
    n = max(cfg.candidates, k * 8)
    # a title's entries are searched among themselves: filtered out of the nearest entries of the
    # whole index, most titles of a library of thousands had none there and got no answer
    only = store.title_entry_ids(title) if title is not None else None
    if only is not None and not len(only):
        return []
    best = nearest_entries(vectors, queries, n, cfg.nprobe, only)
    records = store.entries(best, with_thumbs=query_thumb is not None)
    keep = [i for i, r in records.items() if title is None or r.title == title]
    hits = [FrameHit(i, records[i].path, records[i].title, records[i].episode, records[i].t_from, records[i].t_at,
                     records[i].t_to, similarity(best[i]), records[i].file_id) for i in keep]
    if query_thumb is None:
        return merge_scenes(hits, cfg.scene_gap_s)[:k]
    scorer = ThumbnailScorer(query_thumb)
    hits = rerank(hits, [records[i].thumb for i in keep], scorer, cfg.thumbnail_weight, cfg.rerank_reach,
                  cfg.rerank_max)
    merged = merge_scenes(hits, cfg.scene_gap_s)
    scenes, seen = [], set()
    for scene in merged:
        if len(scenes) == k:
            break
        if len(scenes) < cfg.refine_top:
            scene = refine_in_time(store, scene, scorer, cfg.refine_margin_s, cfg.time_tie_ncc)
        if scene.entry_id not in seen:   # two scenes placed on one moment: keep the better
            seen.add(scene.entry_id)
            scenes.append(scene)
    return scenes

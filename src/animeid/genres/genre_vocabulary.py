"""The genre names a model predicts, in a fixed order, and the multi-hot encoding they define.

Genres are kept by frequency (top-K and/or at least N examples, as S3 kept its top 10): a genre with
one example can never be on both sides of a train/validation split, so it can neither be learned
nor have a threshold tuned, and keeping it only adds a column of guaranteed misses."""
from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np

from animeid.genres.errors import BadPosterList


class GenreVocabulary:
    def __init__(self, genres: Sequence[str], counts: Sequence[int] | None = None):
        self.genres = list(genres)
        self.counts = list(counts) if counts is not None else [0] * len(self.genres)
        self.index = {g: i for i, g in enumerate(self.genres)}

    def __len__(self) -> int:
        return len(self.genres)

    @classmethod
    def fit(cls, genre_lists: Sequence[Sequence[str]], top_k: int = 0, min_count: int = 2,
            notes: list[str] | None = None) -> "GenreVocabulary":
        """Most frequent first (ties by name, for reproducibility). Dropped genres go to `notes`."""
        counts = Counter(g for gl in genre_lists for g in gl)
        if not counts:
            raise BadPosterList("no genres at all: every row's genre list is empty")
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        kept = [(g, n) for g, n in ranked if n >= max(1, min_count)]
        if top_k and top_k > 0:
            kept = kept[:top_k]
        dropped = [(g, n) for g, n in ranked if (g, n) not in kept]
        if notes is not None:
            singles = [g for g, n in dropped if n == 1]
            if singles:
                notes.append(f"{len(singles)} genre(s) with one example dropped (one example cannot be both "
                             f"learned and validated): {', '.join(singles)}")
            others = [f"{g} ({n})" for g, n in dropped if n > 1]
            if others:
                notes.append(f"{len(others)} genre(s) below --min-count {min_count} or outside --top-k "
                             f"{top_k or 'all'} dropped: {', '.join(others)}")
        if notes is not None and any(n == 1 for _, n in kept):
            notes.append(f"genre(s) kept with one example (--min-count {min_count}) cannot be validated and use the "
                         f"global threshold: {', '.join(g for g, n in kept if n == 1)}")
        if not kept:
            raise BadPosterList(f"no genre has at least {min_count} examples (most frequent: "
                                f"{ranked[0][0]} with {ranked[0][1]}); lower --min-count or add posters")
        if len(kept) == 1 and top_k == 1:
            raise BadPosterList(f"--top-k 1 keeps a single genre ({kept[0][0]}); multi-label prediction needs two "
                                "or more (--top-k 0 keeps all)")
        if len(kept) == 1:
            raise BadPosterList(f"only one genre ({kept[0][0]}) has at least {min_count} examples; "
                                "multi-label prediction needs two or more")
        return cls([g for g, _ in kept], [n for _, n in kept])

    def encode(self, genre_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """(n, n_genres) uint8 multi-hot; genres outside the vocabulary are ignored."""
        y = np.zeros((len(genre_lists), len(self.genres)), dtype=np.uint8)
        for i, gl in enumerate(genre_lists):
            for g in gl:
                j = self.index.get(g)
                if j is not None:
                    y[i, j] = 1
        return y

    def decode(self, row: np.ndarray) -> list[str]:
        return [self.genres[j] for j in np.flatnonzero(np.asarray(row) > 0)]

    def to_dict(self) -> dict:
        return {"genres": self.genres, "counts": self.counts}

    @classmethod
    def from_dict(cls, d: dict) -> "GenreVocabulary":
        return cls(d["genres"], d.get("counts"))

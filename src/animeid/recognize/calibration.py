"""Turning neighbour similarities into a score a user can read as confidence, and learning from the
gallery itself when to answer "unknown".

Both are fitted on held-out folds of the gallery: a query is scored against the gallery without
its own fold (a known character seen from a new picture) and against the gallery without its whole
label (a character nobody enrolled). A logistic fit (Platt scaling) maps the top label's similarity
and its margin over the runner-up to the probability that the top label is right, fitted on both
kinds at once (a never-enrolled query is never right), so the score stays informative even on a
gallery whose held-out answers are all right; it reads as confidence under an even prior of
enrolled and never-enrolled queries. The margin matters because a stranger tends to look alike
to several labels, while a known character stands out from the others: on real characters never
enrolled (`bench/open_set.py`) it raised the separation of strangers from enrolled characters
and lowered the calibration error over the similarity alone. The threshold is the calibrated score
that best separates the right answers from the never-enrolled ones (balanced accuracy). Only these three numbers are
refitted when labels change; no model is retrained."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace

import numpy as np


@dataclass(frozen=True)
class Calibration:
    a: float
    b: float
    threshold: float
    # What the fit saw, for `info` and the docs: queries, accuracy, unknown rejection.
    known_queries: int = 0
    unknown_queries: int = 0
    heldout_accuracy: float = float("nan")
    unknown_rejected: float = float("nan")
    known_accepted: float = float("nan")
    # True when the folds gave no basis for a fit and the fixed similarity mapping is used
    fallback: bool = False
    # Slope on the margin over the runner-up label (`label_margins`); 0 in galleries calibrated
    # before margins were used, which therefore score exactly as they did until their next enrol.
    margin_weight: float = 0.0

    def score(self, raw: np.ndarray, margin: np.ndarray | None = None) -> np.ndarray:
        z = self.a * np.asarray(raw, dtype=np.float64) + self.b
        if self.margin_weight:
            if margin is None:
                raise ValueError("this calibration also weighs each label's margin over the runner-up; pass margin")
            z = z + self.margin_weight * np.asarray(margin, dtype=np.float64)
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Calibration":
        return cls(**d)


def class_scores(sims: np.ndarray, labels: list, per_class: int) -> list[tuple[str, float]]:
    """Rank the labels among one query's neighbours: a label scores the mean of its best
    `per_class` similarities (fewer if it has fewer), so one lucky near-duplicate counts less than
    several good matches, yet a label with a single image can still win."""
    by_label: dict[str, list[float]] = {}
    for s, lab in zip(np.asarray(sims, dtype=np.float64), labels):
        if lab is not None:
            by_label.setdefault(lab, []).append(float(s))
    ranked = [(lab, float(np.mean(sorted(v, reverse=True)[:per_class]))) for lab, v in by_label.items()]
    return sorted(ranked, key=lambda t: (-t[1], str(t[0])))


def label_margins(ranked: list[tuple[str, float]], floor: float) -> np.ndarray:
    """Each ranked label's score minus the best other label's: the top label's lead over the
    runner-up, and how far behind the top every other label is. When one label fills every
    neighbour fetched, any other label scores at most `floor` (the least similar neighbour
    fetched), so the top label's lead is at least its score minus that."""
    scores = np.array([s for _, s in ranked], dtype=np.float64)
    if len(scores) == 0:
        return scores
    if len(scores) == 1:
        return scores - floor
    return np.concatenate([[scores[0] - scores[1]], scores[1:] - scores[0]])


def fit_platt(features: np.ndarray, correct: np.ndarray) -> tuple[np.ndarray, float]:
    """Logistic fit P(correct) = sigmoid(features @ w + b), one column per feature (a 1-D array
    is one feature); a constant (w = 0) when all outcomes agree."""
    x = np.asarray(features, dtype=np.float64)
    x = x[:, None] if x.ndim == 1 else x
    correct = np.asarray(correct, dtype=bool)
    if len(x) == 0:
        return np.zeros(x.shape[1]), 0.0
    if correct.all() or not correct.any():
        rate = (correct.sum() + 0.5) / (len(correct) + 1.0)
        return np.zeros(x.shape[1]), float(np.log(rate / (1 - rate)))
    return _logistic(x, correct.astype(np.float64))


def _logistic(x: np.ndarray, t: np.ndarray, l2: float = 1e-3, iters: int = 100) -> tuple[np.ndarray, float]:
    """Newton's method for a small logistic regression (with a touch of L2 on the slopes so
    separable data converges); no scikit-learn import on the enrol path."""
    design = np.column_stack([x, np.ones(len(x))])
    ridge = np.diag([l2] * x.shape[1] + [1e-12])
    w = np.zeros(design.shape[1])
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ w, -50, 50)))
        g = design.T @ (p - t) + ridge @ w
        h = (design * (p * (1 - p))[:, None]).T @ design + ridge
        step = np.linalg.solve(h, g)
        w = w - step
        if np.abs(step).max() < 1e-10:
            break
    return w[:-1], float(w[-1])


def learn_threshold(p_known: np.ndarray, correct: np.ndarray, p_unknown: np.ndarray,
                    default: float = 0.5) -> float:
    """The cut maximising (right answers accepted + unknowns rejected) / 2 on held-out scores.
    When a whole range of cuts is optimal (separable scores), the middle of that range: the
    widest margin on both sides generalises best to new queries. A query is accepted when its
    calibrated score is >= the returned cut."""
    p_known = np.asarray(p_known, dtype=np.float64)
    correct = np.asarray(correct, dtype=bool)
    p_unknown = np.asarray(p_unknown, dtype=np.float64)
    if len(p_unknown) == 0 or not correct.any():
        return float(default)
    # candidate cuts: reject everything <= t, for every observed score t (and reject nothing)
    scores = np.unique(np.concatenate([p_known, p_unknown]))
    cuts = np.concatenate([[scores[0]], np.nextafter(scores, np.inf)])
    right_total = correct.sum()
    bal = np.array([(np.sum(correct & (p_known >= c)) / right_total + np.mean(p_unknown < c)) / 2 for c in cuts])
    best = np.flatnonzero(bal >= bal.max() - 1e-12)
    lo, hi = cuts[best[0]], cuts[best[-1]]
    # the optimal range extends from just above the last rejected score to the next kept score
    nxt = scores[scores >= hi]
    upper = nxt[0] if len(nxt) else hi
    lower = scores[scores < lo][-1] if np.any(scores < lo) else lo
    return float((lower + upper) / 2) if upper > lower else float(lo)


_FRAME_SOURCE = re.compile(r"^(.+)@\d+(?:\.\d+)?$")


def source_group(source: str) -> str:
    """Items that are near-copies of each other must share a fold, or held-out scores are those of
    near-duplicates: frames of one video (sources `video@seconds`) form one group. Only a number
    after the last `@` marks a frame, so file paths with `@` in them stay groups of their own."""
    m = _FRAME_SOURCE.match(source)
    return m.group(1) if m else source


@dataclass(frozen=True)
class HeldoutScores:
    """Top label score, its margin over the runner-up and correctness of held-out gallery queries
    (known), and the same of simulated never-enrolled queries (unknown, never right)."""
    known_raw: np.ndarray
    known_margin: np.ndarray
    known_ok: np.ndarray
    unknown_raw: np.ndarray
    unknown_margin: np.ndarray


def heldout_top_scores(vectors: np.ndarray, labels: list[str], folds: int, neighbours: int,
                       per_class: int, max_queries: int, seed: int = 0,
                       groups: list[str] | None = None) -> HeldoutScores:
    """Top class scores of held-out gallery queries and of simulated unknowns. Works on a random subset of at most `max_queries` items with exact
    similarities, which keeps a 100k gallery's enrol fast and changes the scores little.
    Folds are drawn over `groups` (one per item) when given, so a group is held out whole."""
    rng = np.random.default_rng(seed)
    n = len(labels)
    pick = np.sort(rng.choice(n, size=min(n, max_queries), replace=False))
    v = np.asarray(vectors, dtype=np.float32)[pick]
    labs = np.asarray(labels, dtype=object)[pick]
    if groups is None:
        fold = rng.permutation(len(pick)) % max(2, folds)
    else:
        _, gcode = np.unique(np.asarray(groups, dtype=str)[pick], return_inverse=True)
        fold = rng.permutation(gcode.max() + 1)[gcode] % max(2, folds)
    sims = v @ v.T
    _, label_codes = np.unique(labs.astype(str), return_inverse=True)
    known_raw, known_margin, known_ok, unknown_raw, unknown_margin = [], [], [], [], []
    k = min(neighbours, len(pick))
    for mode in ("known", "unknown"):
        if mode == "known":
            hidden = fold[:, None] == fold[None, :]
            # a label with no image outside the query's fold cannot be "known" there
            label_outside = np.zeros((len(pick), label_codes.max() + 1), dtype=bool)
            for i in range(int(fold.max()) + 1):
                outside = fold != i
                label_outside[fold == i] = np.bincount(label_codes[outside], minlength=label_outside.shape[1]) > 0
            usable = label_outside[np.arange(len(pick)), label_codes]
        else:
            hidden = label_codes[:, None] == label_codes[None, :]
            usable = (~hidden).any(axis=1)
        masked = np.where(hidden, -np.inf, sims)
        top = np.argpartition(-masked, k - 1, axis=1)[:, :k] if k < len(pick) else np.tile(np.arange(len(pick)), (len(pick), 1))
        for i in np.flatnonzero(usable):
            cand = top[i][np.isfinite(masked[i, top[i]])]
            ranked = class_scores(masked[i, cand], list(labs[cand]), per_class)
            margin = label_margins(ranked[:2], float(masked[i, cand].min()))[0]
            if mode == "known":
                known_raw.append(ranked[0][1])
                known_margin.append(margin)
                known_ok.append(ranked[0][0] == labs[i])
            else:
                unknown_raw.append(ranked[0][1])
                unknown_margin.append(margin)
    return HeldoutScores(np.asarray(known_raw), np.asarray(known_margin), np.asarray(known_ok, dtype=bool),
                         np.asarray(unknown_raw), np.asarray(unknown_margin))


# Right held-out answers needed before the margin gets a slope of its own: with a handful (a title
# gallery of one clip per title), the two-feature fit chased noise and could even give similarity a
# negative slope (bench/title_frames.py: 9 held-out queries, 7 right).
MARGIN_MIN_RIGHT = 20


def calibrate(vectors: np.ndarray, labels: list[str], folds: int = 5, neighbours: int = 32,
              per_class: int = 3, max_queries: int = 3000, default_threshold: float = 0.5,
              seed: int = 0, groups: list[str] | None = None, margin: bool = True) -> Calibration:
    h = heldout_top_scores(vectors, labels, folds, neighbours, per_class, max_queries, seed, groups)
    known_raw, ok, unknown_raw = h.known_raw, h.known_ok, h.unknown_raw
    if not ok.any() or len(unknown_raw) == 0:
        return _fallback(known_raw, ok, unknown_raw)
    similarity = np.concatenate([known_raw, unknown_raw])
    outcome = np.concatenate([ok, np.zeros(len(unknown_raw), dtype=bool)])
    (a,), b = fit_platt(similarity, outcome)
    margin_weight = 0.0
    if margin and ok.sum() >= MARGIN_MIN_RIGHT:
        lead = np.concatenate([h.known_margin, h.unknown_margin])
        (a2, m2), b2 = fit_platt(np.column_stack([similarity, lead]), outcome)
        # more similar, or a larger lead over the runner-up, cannot mean a less likely answer: such
        # a fit chased noise, and the similarity alone stands
        if a2 > 0 and m2 >= 0:
            a, margin_weight, b = a2, m2, b2
    cal = Calibration(float(a), b, default_threshold, margin_weight=float(margin_weight))
    p_known, p_unknown = cal.score(known_raw, h.known_margin), cal.score(unknown_raw, h.unknown_margin)
    t = learn_threshold(p_known, ok, p_unknown, default_threshold)
    return replace(cal, threshold=t, known_queries=int(len(known_raw)), unknown_queries=int(len(unknown_raw)),
                   heldout_accuracy=float(ok.mean()) if len(ok) else float("nan"),
                   unknown_rejected=float(np.mean(p_unknown < t)) if len(p_unknown) else float("nan"),
                   known_accepted=float(np.mean(p_known >= t)) if len(p_known) else float("nan"))


# The fallback mapping's slope and, with no evidence at all (one label, one image), its midpoint:
# about what galleries of the default embedder fit when they have evidence (slope 20-30, score 0.5
# near cosine 0.65), so its scores read on the same scale.
FALLBACK_SLOPE = 20.0
FALLBACK_MID = 0.65


def _fallback(known_raw: np.ndarray, ok: np.ndarray, unknown_raw: np.ndarray) -> Calibration:
    """A mapping for a gallery whose held-out folds show only one side: no right answer (every
    label has a single image, so none can be held out, or every held-out answer was wrong) or no
    never-enrolled query (a single label). A Platt fit would be a constant there, scoring an exact copy like a stranger. Instead
    the midpoint (score 0.5, the threshold) is placed between what the folds did show and a
    perfect match: above every simulated stranger, or at the least similar right answer."""
    if len(unknown_raw):
        mid = (float(np.max(unknown_raw)) + 1.0) / 2.0
    elif ok.any():
        mid = float(np.min(known_raw[ok]))
    else:
        mid = FALLBACK_MID
    cal = Calibration(FALLBACK_SLOPE, -FALLBACK_SLOPE * mid, 0.5)
    return Calibration(
        cal.a, cal.b, cal.threshold, known_queries=int(len(known_raw)), unknown_queries=int(len(unknown_raw)),
        heldout_accuracy=float(ok.mean()) if len(ok) else float("nan"),
        unknown_rejected=float(np.mean(cal.score(unknown_raw) < 0.5)) if len(unknown_raw) else float("nan"),
        known_accepted=float(np.mean(cal.score(known_raw) >= 0.5)) if len(known_raw) else float("nan"),
        fallback=True)

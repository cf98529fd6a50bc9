"""Open-set check of a gallery on real pictures (issue 3): are strangers answered "unknown", and
can the score be read as the probability that the label is right?

Each round enrols the training images of most labels through the public `Recognizer` API and
holds some labels out whole ("strangers": characters nobody enrolled), then identifies the test
images of every label. The calibration was fitted on the gallery's own folds; these queries were
never seen by it. The baseline is the same gallery calibrated on the top label's similarity
alone (`GalleryCfg.calibration_margin=False`, animeid's calibration until 2026-11-25), scored on
the same queries.

    python bench/open_set.py --data ../shared/data/characters/moeimouto10
    python bench/open_set.py --data ../shared/data/characters/danbooru6

A folder with train/ and test/ uses them; any other labelled folder is split per label
(`--test-fraction`, seeded).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np


def split(data: Path, test_fraction: float, rng: np.random.Generator):
    """(train, test) as {label: [paths]}."""
    from animeid.recognize.datasets import labelled_folder

    if (data / "train").is_dir() and (data / "test").is_dir():
        parts = labelled_folder(data / "train"), labelled_folder(data / "test")
        return tuple(_by_label(p.paths, p.labels) for p in parts)
    whole = labelled_folder(data)
    every = _by_label(whole.paths, whole.labels)
    train, test = {}, {}
    for label, paths in every.items():
        order = rng.permutation(len(paths))
        cut = max(1, round(len(paths) * test_fraction)) if len(paths) > 1 else 0
        test[label] = [paths[i] for i in order[:cut]]
        train[label] = [paths[i] for i in order[cut:]]
    return train, {k: v for k, v in test.items() if v}


def _by_label(paths, labels) -> dict:
    out: dict[str, list] = {}
    for p, lab in zip(paths, labels):
        out.setdefault(lab, []).append(p)
    return out


def stranger_rounds(labels: list[str], fraction: float, rounds: int, rng: np.random.Generator) -> list[list[str]]:
    """Consecutive blocks of one shuffled label list, so every label is held out about equally often."""
    n = max(1, round(len(labels) * fraction))
    order = list(rng.permutation(labels))
    cycle = order * (rounds * n // len(order) + 1)
    return [sorted(cycle[r * n:(r + 1) * n]) for r in range(rounds)]


def one_round(train: dict, test: dict, strangers: list[str], folder: Path) -> dict[str, list[dict]]:
    """One gallery without the strangers, identified under each calibration; one row per test
    image and calibration."""
    from animeid.recognize.recognizer import UNKNOWN, Recognizer

    rows: dict[str, list[dict]] = {}
    with Recognizer.create(folder, kind="character", write=True) as rec:
        for label in sorted(set(train) - set(strangers)):
            rec.enroll(label, train[label], refit=False, warn=lambda msg: None)
        queries = [(p, lab) for lab in sorted(test) for p in test[lab]]
        for name, margin in CALIBRATIONS.items():
            rec.cfg = replace(rec.cfg, calibration_margin=margin)
            rec.refit()
            for start in range(0, len(queries), 64):
                chunk = queries[start:start + 64]
                for (_, truth), answer in zip(chunk, rec.identify_many([p for p, _ in chunk], k=2)):
                    named = next(r for r in answer if r["label"] != UNKNOWN)
                    rows.setdefault(name, []).append({
                        "stranger": truth in strangers, "right": named["label"] == truth,
                        "score": named["score"], "accepted": answer[0]["label"] != UNKNOWN})
    return rows


# name -> GalleryCfg.calibration_margin; the first is the default, the second the baseline
CALIBRATIONS = {"similarity + margin (default)": True, "similarity only (baseline)": False}


def figures(rows: list[dict], bins: int) -> dict:
    from animeid.evaluate import open_set

    stranger = np.array([r["stranger"] for r in rows])
    right = np.array([r["right"] for r in rows])
    accepted = np.array([r["accepted"] for r in rows])
    score = np.array([r["score"] for r in rows])
    even = open_set.even_prior_weights(stranger)
    known = ~stranger
    return {
        "queries": int(len(rows)), "enrolled_label_queries": int(known.sum()), "stranger_queries": int(stranger.sum()),
        "known_top1": float(right[known].mean()),
        "known_answered_right": float((right & accepted)[known].mean()),
        "known_answered_wrong": float((~right & accepted)[known].mean()),
        "known_said_unknown": float((~accepted)[known].mean()),
        "strangers_said_unknown": float((~accepted)[stranger].mean()),
        "auroc_enrolled_vs_stranger": open_set.roc_auc(score[known], score[stranger]),
        "auroc_right_vs_stranger": open_set.roc_auc(score[known & right], score[stranger]),
        "ece_even_prior": open_set.expected_calibration_error(score, right, bins, even),
        "ece_as_sampled": open_set.expected_calibration_error(score, right, bins),
        "reliability_even_prior": open_set.reliability_bins(score, right, bins, even),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data/characters/moeimouto10"))
    ap.add_argument("--strangers", type=float, default=0.3, help="share of labels held out whole per round")
    ap.add_argument("--rounds", type=int, help="default: enough for every label to be a stranger once")
    ap.add_argument("--test-fraction", type=float, default=0.3, help="for a folder without train/ and test/")
    ap.add_argument("--bins", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args()
    if not args.data.is_dir():
        print(f"--data {args.data}: no such folder", file=sys.stderr)
        return 2
    if not 0 < args.strangers < 1 or (args.rounds is not None and args.rounds < 1) or not 0 < args.test_fraction < 1 or args.bins < 1:
        print("--strangers and --test-fraction must lie in (0, 1); --rounds and --bins >= 1", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    train, test = split(args.data, args.test_fraction, rng)
    labels = sorted(train)
    if len(labels) < 3:
        print(f"{args.data}: needs at least 3 labels (some enrolled, some strangers)", file=sys.stderr)
        return 2
    if args.rounds is None:
        args.rounds = -(-len(labels) // max(1, round(len(labels) * args.strangers)))
    rows: dict[str, list[dict]] = {name: [] for name in CALIBRATIONS}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="animeid-open-set-") as tmp:
        for r, strangers in enumerate(stranger_rounds(labels, args.strangers, args.rounds, rng)):
            t0 = time.perf_counter()
            for name, got in one_round(train, test, strangers, Path(tmp) / f"round{r}").items():
                rows[name] += got
            print(f"round {r + 1}/{args.rounds}: strangers {', '.join(strangers)} "
                  f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    out = {name: figures(got, args.bins) for name, got in rows.items()}
    wall = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps({"calibrations": out, "wall_s": wall}, indent=2))
        return 0
    first = next(iter(out.values()))
    print(f"{args.data}: {args.rounds} rounds, {args.strangers:.0%} of {len(labels)} labels held out whole per round; "
          f"{first['enrolled_label_queries']} enrolled-label and {first['stranger_queries']} stranger queries; "
          f"top-1 among enrolled labels {first['known_top1']:.3f}")
    for name, f in out.items():
        print(f"  {name}:")
        print(f"    enrolled labels answered right {f['known_answered_right']:.3f}, answered wrong "
              f"{f['known_answered_wrong']:.3f}, said unknown {f['known_said_unknown']:.3f}; "
              f"strangers said unknown {f['strangers_said_unknown']:.3f}")
        print(f"    AUROC enrolled vs stranger {f['auroc_enrolled_vs_stranger']:.3f} (right answers vs stranger "
              f"{f['auroc_right_vs_stranger']:.3f}); ECE at an even prior {f['ece_even_prior']:.3f}, "
              f"as sampled {f['ece_as_sampled']:.3f}")
        print("    reliability at an even prior, score bin: mean score / share right (share of weight)")
        print("      " + "; ".join(f"{b['low']:.1f}-{b['high']:.1f}: {b['mean_score']:.2f} / {b['right']:.2f} "
                                   f"({b['share']:.2f})" for b in f["reliability_even_prior"]))
    print(f"  wall {wall} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

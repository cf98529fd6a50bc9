"""One name per genre, however the list spells it.

Lists merged from several sources spell one genre several ways: `action` and `Action`, "Comédie"
typed on one system and decomposed (e + combining accent) by another, "Slice of Life" with a
no-break space from a web page. Kept apart, each spelling had only part of the examples (the
--min-count filter could drop all of them) and the scores counted one genre twice. Every genre is
put in Unicode NFKC form with runs of white space made one space; spellings that still differ only
in case are merged too. A note names every merge."""
from __future__ import annotations

import unicodedata
from collections import Counter


def normalise_genre(name: str) -> str:
    """NFKC (composed accents, compatibility spaces and widths folded), white space collapsed and
    stripped: the form two spellings of one genre share."""
    return " ".join(unicodedata.normalize("NFKC", name).split())


def normalise_genre_list(genres: list[str], variants: dict[str, set[str]] | None = None) -> list[str]:
    """`genres` normalised, without repeats; each spelling met is recorded under its normal form."""
    out: list[str] = []
    for g in genres:
        n = normalise_genre(g)
        if variants is not None:
            variants.setdefault(n, set()).add(g)
        if n and n not in out:
            out.append(n)
    return out


def unicode_merge_notes(variants: dict[str, set[str]]) -> list[str]:
    """Notes for the normal forms reached from two or more spellings. Spellings are shown with
    escapes (ascii), since NFC and NFD print the same."""
    notes = []
    for normal, spelled in variants.items():
        if len(spelled) > 1:
            others = sorted(ascii(s) for s in spelled if s != normal)
            notes.append(f"genres differing only in Unicode form or spacing merged as {normal!r}: "
                         + ", ".join(others))
    return notes


def merge_case_variants(genre_lists: list[list[str]], problems: list[str]) -> list[list[str]]:
    """The lists with every case variant of a genre spelled as most rows spell it (the first seen
    on a tie); each merge adds a note to `problems`."""
    counts = Counter(g for genres in genre_lists for g in genres)
    spellings: dict[str, list[str]] = {}
    for g in counts:                               # first-seen order
        spellings.setdefault(g.casefold(), []).append(g)
    canonical = {}
    for variants in spellings.values():
        best = max(variants, key=lambda v: counts[v])  # max keeps the first of equals
        canonical.update({v: best for v in variants})
        if len(variants) > 1:
            problems.append(f"genres differing only in case merged as {best!r}: "
                            + ", ".join(repr(v) for v in variants if v != best))
    return [list(dict.fromkeys(canonical[g] for g in genres)) for genres in genre_lists]

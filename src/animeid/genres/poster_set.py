"""Reading a POSTERS list (CSV or JSON) into image paths and genre lists.

Hostile-input rules: every image path must stay inside the list's own folder (a list is data, not a
licence to read the disk); duplicates are collapsed, and contradictory duplicates refused; rows
without genres and unreadable images are reported and skipped, never replaced with black images
(S4 did that, which teaches a head that black means every genre)."""
from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from animeid.genres.errors import BadPosterList

IMAGE_COLUMNS = ("image", "path", "file", "filename", "poster", "image_path")
GENRE_COLUMNS = ("genres", "genre", "labels", "tags")
TITLE_COLUMNS = ("title", "name")


@dataclass
class PosterSet:
    """Posters that survived validation, with every problem met on the way (for the report)."""

    source: Path
    paths: list[Path] = field(default_factory=list)
    genres: list[list[str]] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.paths)

    def subset(self, keep: list[int]) -> "PosterSet":
        return PosterSet(self.source, [self.paths[i] for i in keep], [self.genres[i] for i in keep],
                         [self.titles[i] for i in keep], list(self.problems))


def _json_type(value) -> str:
    """A value's type as JSON calls it, for messages ("a JSON number", not "a JSON int")."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {dict: "object", list: "list", str: "string"}.get(type(value), type(value).__name__)


def _literal_list(text: str):
    """A Python-style list literal (`['Romance', 'Supernatural']`, as pandas writes lists into Kaggle
    CSVs) or None. `ast.literal_eval` evaluates literals only, never code; long texts are not tried."""
    import ast

    if len(text) > 10_000:
        return None
    try:
        parsed = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return parsed if isinstance(parsed, list) and all(isinstance(v, str) for v in parsed) else None


def _items(values: list, text: str | None = None) -> list[str]:
    bad = [v for v in values if v is not None and not isinstance(v, str)]
    if bad:
        shown = text[:60] if text is not None else values
        raise BadPosterList(f"genre list {shown!r} holds a {_json_type(bad[0])} ({bad[0]!r}); "
                            "genres must be strings")
    return [v for v in values if v is not None]


def parse_genres(value) -> list[str]:
    """A genre field as a list: a JSON list, a Python-style list of strings, or a `|`- or
    `,`-separated string. `|` wins over `,` when both occur, since MyAnimeList-style names never
    contain `|`. Anything else (a number, an object, nested lists) is refused rather than turned into
    a genre named "{'a': 1}"; null items of a list are dropped."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):  # a JSON list, or a tuple from a Python caller
        items = _items(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                parsed = _literal_list(text)
                if parsed is None:
                    raise BadPosterList(f"genre list {text[:60]!r} starts like a list but is not valid JSON "
                                        "(nor a Python list of strings)") from None
            if not isinstance(parsed, list):
                raise BadPosterList(f"genre list {text[:60]!r} is JSON but not a list")
            items = _items(parsed, text)
        elif "|" in text:
            items = text.split("|")
        else:
            items = text.split(",")
    else:
        raise BadPosterList(f"genres {value!r} are a JSON {_json_type(value)}; expected a list of strings "
                            "or a '|'- or ','-separated string")
    seen, out = set(), []
    for g in (i.strip() for i in items):
        if g and g not in seen:
            seen.add(g)
            out.append(g)
    return out


def _pick(columns: list[str], wanted: tuple[str, ...]) -> str | None:
    lower = {c.strip().lower(): c for c in columns if c is not None}
    for w in wanted:
        if w in lower:
            return lower[w]
    return None


def _csv_records(path: Path, text: str) -> list[tuple[str, dict]]:
    """Rows as dicts with the CSV line each starts on ("row N", header = row 1). Read from a stream
    with newline="" so only real line ends split records: `str.splitlines` also splits on U+2028,
    form feeds and other separators that are legitimate inside a title."""
    reader = csv.reader(io.StringIO(text, newline=""))
    out: list[tuple[str, dict]] = []
    try:
        header = next(reader, None) or []
        prev = reader.line_num
        for row in reader:
            start, prev = prev + 1, reader.line_num
            if not row:
                continue  # a blank line
            rec: dict = {k: (row[i] if i < len(row) else None) for i, k in enumerate(header)}
            if len(row) > len(header):
                rec[None] = row[len(header):]
            out.append((f"row {start}", rec))
    except csv.Error as exc:
        raise BadPosterList(f"{path.name} row {reader.line_num}: unreadable CSV ({exc})") from None
    if not header:
        raise BadPosterList(f"{path}: no header line; expected one such as 'image,genres'")
    return out


def _read_records(path: Path) -> list[tuple[str, dict]]:
    """(where, record) pairs: CSV rows are named by line ("row 2" is the first under the header),
    JSON objects by their position in the list ("item 1")."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise BadPosterList(f"{path}: not UTF-8 text (expected a CSV or JSON poster list)") from None
    except OSError as exc:
        raise BadPosterList(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not text.strip():
        raise BadPosterList(f"{path}: empty file; expected a header line such as 'image,genres' and one row per poster")
    if path.suffix.lower() == ".json" or text.lstrip().startswith(("[", "{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadPosterList(f"{path}: invalid JSON ({exc.msg} at line {exc.lineno})") from None
        except RecursionError:
            raise BadPosterList(f"{path}: invalid JSON (nested too deeply)") from None
        if isinstance(data, dict):
            data = data.get("posters", data.get("items"))
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise BadPosterList(f"{path}: JSON must be a list of objects like {{\"image\": ..., \"genres\": [...]}}")
        return [(f"item {n}", r) for n, r in enumerate(data, start=1)]
    return _csv_records(path, text)


def _delimiter_hint(columns: list[str]) -> str:
    for sep, name in ((";", "semicolons"), ("\t", "tabs")):
        if len(columns) == 1 and sep in columns[0]:
            return f" (the header looks separated by {name}; the poster list must be comma-separated)"
    return ""


def load_poster_set(path: Path | str, check_images: bool = True) -> PosterSet:
    """Validate a poster list and decode-check its images (unreadable ones are skipped and reported)."""
    path = Path(path)
    if not path.exists():
        raise BadPosterList(f"{path}: no such file")
    if path.is_dir():
        raise BadPosterList(f"{path}: is a folder; pass the CSV or JSON file that lists the posters")
    records = _read_records(path)
    if not records:
        raise BadPosterList(f"{path}: no rows; expected one row per poster with an image path and genres")
    columns = list({k for _, r in records for k in r.keys() if k is not None})
    img_col, genre_col = _pick(columns, IMAGE_COLUMNS), _pick(columns, GENRE_COLUMNS)
    title_col = _pick(columns, TITLE_COLUMNS)
    if img_col is None or genre_col is None:
        missing = [n for n, c in (("an image column (" + "|".join(IMAGE_COLUMNS) + ")", img_col),
                                  ("a genres column (" + "|".join(GENRE_COLUMNS) + ")", genre_col)) if c is None]
        raise BadPosterList(f"{path}: unknown columns {sorted(columns)}; need {' and '.join(missing)}"
                            + _delimiter_hint(columns))
    root = path.parent.resolve()
    out = PosterSet(source=path)
    first_row: dict[Path, tuple[str, list[str]]] = {}
    for n, rec in records:
        where = f"{path.name} {n}"
        raw = rec.get(img_col)
        if raw is not None and not isinstance(raw, str):
            raise BadPosterList(f"{where}: image {raw!r} is a JSON {_json_type(raw)}; expected a path string")
        if raw is None or not raw.strip():
            out.problems.append(f"{where}: no image path; skipped")
            continue
        if "\0" in raw:   # no file can have it in its name; resolve() would raise ValueError
            raise BadPosterList(f"{where}: image path {raw!r} holds a NUL byte; no file can be named so")
        rel = Path(raw.strip())
        full = (root / rel).resolve()
        # judged by the path as written: a link inside the folder to a data set elsewhere is the
        # user's own choice, while an absolute path or a `..` leaving the folder is a list's
        if rel.is_absolute() or not Path(os.path.normpath(root / rel)).is_relative_to(root):
            raise BadPosterList(f"{where}: image path {str(raw)!r} escapes the folder of {path.name}; "
                                "paths must be relative and stay inside it")
        value = rec.get(genre_col)
        try:
            genres = parse_genres(value)
        except BadPosterList as exc:
            raise BadPosterList(f"{where}: {exc}") from None
        if isinstance(value, list) and None in value:
            out.problems.append(f"{where}: null genre(s) in the list ignored")
        if full in first_row:
            prev_n, prev_genres = first_row[full]
            if sorted(g.casefold() for g in prev_genres) != sorted(g.casefold() for g in genres):
                raise BadPosterList(f"{where}: duplicates {prev_n} ({rel}) with different genres "
                                    f"{genres} vs {prev_genres}; keep one")
            out.problems.append(f"{where}: duplicate of {prev_n} ({rel}); skipped")
            continue
        first_row[full] = (n, genres)
        if not genres:
            out.problems.append(f"{where}: no genres; skipped")
            continue
        out.paths.append(full)
        out.genres.append(genres)
        out.titles.append(str(rec.get(title_col) or rel.stem) if title_col else rel.stem)
    if not any(first_row[p][1] for p in first_row):
        raise BadPosterList(f"{path}: no row has any genre (column {genre_col!r} is empty everywhere)")
    _merge_case_variants(out)
    if check_images:
        out = drop_unreadable(out)
    if not out.paths:
        raise BadPosterList(f"{path}: no usable poster left ({len(out.problems)} problems: {out.problems[0]})")
    return out


def drop_unreadable(posters: PosterSet) -> PosterSet:
    """Keep only posters whose image decodes; each one dropped is reported with its reason."""
    from animeid.errors import BadImage
    from animeid.media.images import load_image

    keep = []
    for i, p in enumerate(posters.paths):
        try:
            load_image(p)
            keep.append(i)
        except BadImage as exc:
            posters.problems.append(f"{exc}; skipped")
    kept = posters.subset(keep)
    kept.problems = posters.problems
    return kept


def _merge_case_variants(posters: PosterSet) -> None:
    """"action" and "Action" are one genre: kept apart, each spelling had about half the examples
    (the --min-count filter could drop both) and the scores counted one genre twice. The most
    frequent spelling (the first seen on a tie) stands for all, with a note naming the merge."""
    from collections import Counter

    counts = Counter(g for genres in posters.genres for g in genres)
    spellings: dict[str, list[str]] = {}
    for g in counts:                               # first-seen order
        spellings.setdefault(g.casefold(), []).append(g)
    canonical = {}
    for variants in spellings.values():
        best = max(variants, key=lambda v: counts[v])  # max keeps the first of equals
        canonical.update({v: best for v in variants})
        if len(variants) > 1:
            posters.problems.append(f"genres differing only in case merged as {best!r}: "
                                    + ", ".join(repr(v) for v in variants if v != best))
    posters.genres = [list(dict.fromkeys(canonical[g] for g in genres)) for genres in posters.genres]

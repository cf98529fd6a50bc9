"""Reading a POSTERS list (CSV or JSON) into image paths and genre lists.

Hostile-input rules: every image path must stay inside the list's own folder (a list is data, not a
licence to read the disk); duplicates are collapsed, and contradictory duplicates refused; rows
without genres and unreadable images are reported and skipped, never replaced with black images
(S4 did that, which teaches a head that black means every genre). CSV rows `csv` would reshape
silently are refused in `poster_csv`; genre spellings are unified in `genre_spelling`."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from animeid.genres.errors import BadPosterList
from animeid.genres.genre_spelling import merge_case_variants, normalise_genre_list, unicode_merge_notes
from animeid.genres.poster_csv import GENRE_COLUMNS, IMAGE_COLUMNS, TITLE_COLUMNS, column_key, csv_records


@dataclass
class PosterSet:
    """Posters that survived validation, with every problem met on the way (for the report)."""

    source: Path
    paths: list[Path] = field(default_factory=list)
    genres: list[list[str]] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # where each poster was listed ("posters.csv row 7") and its path as written there, so a
    # problem found later (an unreadable image) names what the user can find in the list
    rows: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.paths)

    def subset(self, keep: list[int]) -> "PosterSet":
        def pick(values: list) -> list:
            return [values[i] for i in keep] if len(values) == len(self.paths) else []

        return PosterSet(self.source, pick(self.paths), pick(self.genres), pick(self.titles),
                         list(self.problems), pick(self.rows), pick(self.written))


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


def _pick(records: list[tuple[str, dict]], columns: list[str], wanted: tuple[str, ...], source: Path,
          role: str) -> str | None:
    """The column named by the first of `wanted` present (case and spaces aside). Two spellings of
    that name (`genres` and `Genres`, in one JSON object or across objects) are refused: choosing
    one used to depend on hash order, so the same list could train on different columns."""
    for w in wanted:
        found = [c for c in columns if column_key(c) == w]
        if len(found) > 1:
            both = next((n for n, r in records if sum(c in r for c in found) > 1), None)
            where = f"{source.name} {both}" if both else source.name
            raise BadPosterList(f"{where}: {found[0]!r} and {found[1]!r} could each be the {role} column "
                                "(names differ only in case or spaces); rename or remove one")
        if found:
            return found[0]
    return None


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
    return csv_records(path, text)


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
    columns = list(dict.fromkeys(k for _, r in records for k in r.keys() if k is not None))  # first-seen order
    img_col = _pick(records, columns, IMAGE_COLUMNS, path, "image")
    genre_col = _pick(records, columns, GENRE_COLUMNS, path, "genres")
    title_col = _pick(records, columns, TITLE_COLUMNS, path, "title")
    if img_col is None or genre_col is None:
        missing = [n for n, c in (("an image column (" + "|".join(IMAGE_COLUMNS) + ")", img_col),
                                  ("a genres column (" + "|".join(GENRE_COLUMNS) + ")", genre_col)) if c is None]
        raise BadPosterList(f"{path}: unknown columns {sorted(columns)}; need {' and '.join(missing)}"
                            + _delimiter_hint(columns))
    root = path.parent.resolve()
    out = PosterSet(source=path)
    first_row: dict[Path, tuple[str, list[str], str]] = {}
    variants: dict[str, set[str]] = {}
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
            genres = normalise_genre_list(parse_genres(value), variants)
        except BadPosterList as exc:
            raise BadPosterList(f"{where}: {exc}") from None
        if isinstance(value, list) and None in value:
            out.problems.append(f"{where}: null genre(s) in the list ignored")
        if full in first_row:
            # named by the earlier row's own path: this row may reach the same image another way
            # (a link, `./`), and its path alone would not say which row it repeats
            prev_n, prev_genres, prev_raw = first_row[full]
            via = "" if raw.strip() == prev_raw else f", the same image as {raw.strip()}"
            if sorted(g.casefold() for g in prev_genres) != sorted(g.casefold() for g in genres):
                raise BadPosterList(f"{where}: duplicates {prev_n} ({prev_raw}{via}) with different genres "
                                    f"{genres} vs {prev_genres}; keep one")
            out.problems.append(f"{where}: duplicate of {prev_n} ({prev_raw}{via}); skipped")
            continue
        first_row[full] = (n, genres, raw.strip())
        if not genres:
            out.problems.append(f"{where}: no genres; skipped")
            continue
        out.paths.append(full)
        out.genres.append(genres)
        out.titles.append(str(rec.get(title_col) or rel.stem) if title_col else rel.stem)
        out.rows.append(where)
        out.written.append(raw.strip())
    if not any(first_row[p][1] for p in first_row):
        raise BadPosterList(f"{path}: no row has any genre (column {genre_col!r} is empty everywhere)")
    out.problems.extend(unicode_merge_notes(variants))
    out.genres = merge_case_variants(out.genres, out.problems)
    if check_images:
        out = drop_unreadable(out)
    if not out.paths:
        raise BadPosterList(f"{path}: no usable poster left ({len(out.problems)} problems: {out.problems[0]})")
    return out


def _unreadable(posters: PosterSet, i: int, message: str) -> str:
    """The problem line for poster `i`: its list row and its path as written there, not the
    resolved path (which for a link is the link's target, for a backslash path a name nobody wrote)."""
    if len(posters.rows) != len(posters.paths):   # a PosterSet built by a caller, without rows
        return f"{message}; skipped"
    full, written = str(posters.paths[i]), posters.written[i]
    reason = message[len(full) + 2:] if message.startswith(f"{full}: ") else message
    hint = ""
    link = posters.source.parent.resolve() / written
    try:
        if link.is_symlink() and not link.exists():
            hint = f" (a link to {os.readlink(link)}, which is missing)"
    except (OSError, ValueError):
        pass
    if not hint and "\\" in written and not os.path.lexists(full):
        hint = " (the path uses \\; write paths with /)"
    return f"{posters.rows[i]}: {written}: {reason}{hint}; skipped"


def drop_unreadable(posters: PosterSet) -> PosterSet:
    """Keep only posters whose image decodes; each one dropped is reported with its row and reason."""
    from animeid.errors import BadImage
    from animeid.media.images import load_image

    keep = []
    for i, p in enumerate(posters.paths):
        try:
            load_image(p)
            keep.append(i)
        except BadImage as exc:
            posters.problems.append(_unreadable(posters, i, str(exc)))
    kept = posters.subset(keep)
    kept.problems = posters.problems
    return kept

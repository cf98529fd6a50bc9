"""Reading a CSV poster list into records, refusing the rows `csv` would silently mangle.

`csv.reader` never fails on the two commonest hand-editing slips, it reshapes them: an unclosed
quote turns every following line into one field (dozens of posters vanish into a "title"), and an
unquoted comma shifts the columns (the genres column then holds part of a title). Both used to train
a model with exit 0. So a record must have as many fields as the header, and a quoted field that
runs over lines which read like further poster rows is refused with the line it opens on."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from animeid.genres.errors import BadPosterList

IMAGE_COLUMNS = ("image", "path", "file", "filename", "poster", "image_path")
GENRE_COLUMNS = ("genres", "genre", "labels", "tags")
TITLE_COLUMNS = ("title", "name")

_LINE_END = re.compile(r"\r\n|\r|\n")


def column_key(name: str) -> str:
    """How a column name is matched: case and surrounding spaces do not count."""
    return name.strip().lower()


def _names_an_image(cell: str, root: Path) -> bool:
    from animeid.media.images import IMAGE_EXTENSIONS

    cell = cell.strip()
    if not cell:
        return False
    if cell.lower().endswith(IMAGE_EXTENSIONS):
        return True
    try:
        return "\0" not in cell and (root / cell).is_file()
    except (OSError, ValueError):
        return False


def _looks_like_a_row(line: str, root: Path) -> bool:
    """Whether a line inside a quoted field reads like a poster row of its own: two or more
    comma-separated cells, one of them an image path (by extension, or an existing file). A title
    or synopsis spread over lines has no such line, so those stay allowed."""
    try:
        cells = next(csv.reader([line]), [])
    except csv.Error:
        return False
    return len(cells) >= 2 and any(_names_an_image(c, root) for c in cells)


def _check_swallowed(name: str, row: list[str], start: int, end: int, root: Path) -> None:
    """Refuse a record whose quoted field holds lines that look like further rows (an unclosed
    quote). Named by the line the field opens on, with the number of lines it ran over."""
    line = start
    for value in row:
        pieces = _LINE_END.split(value)
        for k, piece in enumerate(pieces[1:], start=1):
            if _looks_like_a_row(piece, root):
                raise BadPosterList(
                    f"{name} row {line}: a quoted field opened on this line runs on over {end - line} more "
                    f"line(s), swallowing what look like further rows (line {line + k}: {piece[:50]!r}); "
                    'close the quote, or write a quote inside a field as ""')
        line += len(pieces) - 1


def _check_width(name: str, row: list[str], start: int, header: list[str]) -> None:
    """A row must have the header's number of fields: more means an unquoted comma moved values into
    the wrong columns, fewer that values are missing. Empty trailing fields (spreadsheet exports) and
    missing values of unnamed trailing columns change nothing, so they pass."""
    width = len(header)
    if width == 1:
        return  # a list separated by ';' or tabs: refused with that hint once its columns are looked up
    shown = ",".join(header)
    if len(row) > width and any(v.strip() for v in row[width:]):
        raise BadPosterList(f"{name} row {start}: {len(row)} fields but the header {shown!r} has {width}; "
                            'a value holding a comma must be quoted ("Akame ga Kill!, The Movie")')
    if len(row) < width and any(h.strip() for h in header[len(row):]):
        missing = ", ".join(repr(h) for h in header[len(row):] if h.strip())
        raise BadPosterList(f"{name} row {start}: {len(row)} field(s) but the header {shown!r} has {width} "
                            f"(no value for {missing}); give every column a value, even an empty one")


def _check_header(name: str, header: list[str]) -> None:
    """Two header names that match the same wanted column (`Genres,genres`): the record would keep
    only one of them, chosen by position, so which one holds the genres is a guess."""
    wanted = set(IMAGE_COLUMNS + GENRE_COLUMNS + TITLE_COLUMNS)
    seen: dict[str, str] = {}
    for h in header:
        key = column_key(h)
        if key in wanted and key in seen:
            raise BadPosterList(f"{name}: columns {seen[key]!r} and {h!r} have the same name (case and spaces "
                                "aside), so which one is meant cannot be told; rename or remove one")
        seen.setdefault(key, h)


def csv_records(path: Path, text: str) -> list[tuple[str, dict]]:
    """Rows as dicts with the CSV line each starts on ("row N", header = row 1). Read from a stream
    with newline="" so only real line ends split records: `str.splitlines` also splits on U+2028,
    form feeds and other separators that are legitimate inside a title."""
    reader = csv.reader(io.StringIO(text, newline=""))
    root = path.parent
    out: list[tuple[str, dict]] = []
    try:
        header = next(reader, None) or []
        _check_header(path.name, header)
        prev = reader.line_num
        for row in reader:
            start, prev = prev + 1, reader.line_num
            if not row:
                continue  # a blank line
            if reader.line_num > start:
                _check_swallowed(path.name, row, start, reader.line_num, root)
            _check_width(path.name, row, start, header)
            out.append((f"row {start}", {k: (row[i] if i < len(row) else None) for i, k in enumerate(header)}))
    except csv.Error as exc:
        raise BadPosterList(f"{path.name} row {reader.line_num}: unreadable CSV ({exc})") from None
    if not header:
        raise BadPosterList(f"{path}: no header line; expected one such as 'image,genres'")
    return out

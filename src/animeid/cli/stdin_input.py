"""`-` among the inputs of `search` and `identify` reads a picture or a clip from standard input, so
animeid fits a pipe (`xclip -o -t image/png | animeid search - --db DB`, `curl -s URL | animeid
identify - --db G`) without a temporary file the user has to name and clean up."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from animeid.errors import AnimeidError, BadImage, errors_naming

STDIN = "-"
# read into memory whole: a screenshot is a few MB, a clip a few tens; the image loader's own
# byte limit still applies to pictures
MAX_STDIN_BYTES = 256 * 1024 * 1024


def is_stdin(item) -> bool:
    """Only the string `-` itself: a file named `-` is still reachable as `./-` (which `Path`
    would shorten to `-`: inputs are kept as the strings typed, and a Path never means standard
    input)."""
    return isinstance(item, str) and item == STDIN


def check_stdin_once(inputs: list) -> None:
    if sum(1 for i in inputs if is_stdin(i)) > 1:
        raise AnimeidError("'-' (standard input) may be given only once")


def read_stdin(limit: int = MAX_STDIN_BYTES) -> bytes:
    if sys.stdin is None:  # what Python makes of a closed descriptor 0 (`animeid … - <&-`)
        raise BadImage("-: standard input is closed; pipe a picture into it")
    if sys.stdin.isatty():
        raise BadImage("-: standard input is a terminal; pipe a picture into it")
    return _read_capped(sys.stdin.buffer, STDIN, "standard input", limit)


def is_stream(item) -> bool:
    """A named pipe or device rather than a file: `<(curl -s URL)` (which the shell passes as
    /dev/fd/N), a FIFO, /dev/stdin. Its size reads as 0 and its bytes can be read only once, so it
    is read whole like standard input before anything looks at it."""
    import stat

    try:
        mode = Path(item).stat().st_mode
    except (OSError, ValueError):
        return False   # missing or unreadable: the loader says so
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def read_stream(item, limit: int = MAX_STDIN_BYTES) -> bytes:
    try:
        with open(item, "rb") as f:
            return _read_capped(f, str(item), str(item), limit)
    except OSError as exc:
        raise BadImage(f"{item}: cannot read ({exc.strerror or exc})") from None


def _read_capped(f, name: str, what: str, limit: int) -> bytes:
    data = f.read(limit + 1)
    if not data:
        raise BadImage(f"{name}: nothing on {what} (0 bytes)" if name == STDIN else f"{name}: nothing to read (0 bytes)")
    if len(data) > limit:
        raise BadImage(f"{name}: {what} holds more than the {limit:,}-byte limit")
    return data


@contextmanager
def query_source(item: str, clips: bool = True) -> Iterator[tuple[object, bool]]:
    """(what to search, whether it is a clip) for one command-line input. Standard input (or a
    pipe named like a file) gives the picture's bytes, or a clip (told by its leading bytes) as a
    temporary file (`clip_upload`); errors name it `-` (or the pipe's name) either way."""
    from animeid.media.images import describe
    from animeid.scenes.clip_search import clip_suffix, clip_upload, is_clip

    if is_stdin(item):
        data, name = read_stdin(), STDIN
    elif is_stream(item):
        data, name = read_stream(item), str(item)
    else:
        # the loaders name a file as `Path` normalises it: `./-` would read as standard input
        with errors_naming(str(Path(item)), str(item), leading_only=True):
            yield item, clips and is_clip(item)
        return
    suffix = clip_suffix(data) if clips else None
    if suffix is None:
        with errors_naming(describe(data), name):
            yield data, False
        return
    with clip_upload(data, suffix, name) as path:
        yield path, True

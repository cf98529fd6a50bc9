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
    would shorten to `-`, so an argument parsed as a Path never means standard input)."""
    return isinstance(item, str) and item == STDIN


def path_or_stdin(text: str):
    """argparse type for inputs that are paths: `-` stays the string, anything else a Path."""
    return text if text == STDIN else Path(text)


def check_stdin_once(inputs: list) -> None:
    if sum(1 for i in inputs if is_stdin(i)) > 1:
        raise AnimeidError("'-' (standard input) may be given only once")


def read_stdin(limit: int = MAX_STDIN_BYTES) -> bytes:
    if sys.stdin is None:  # what Python makes of a closed descriptor 0 (`animeid … - <&-`)
        raise BadImage("-: standard input is closed; pipe a picture into it")
    if sys.stdin.isatty():
        raise BadImage("-: standard input is a terminal; pipe a picture into it")
    data = sys.stdin.buffer.read(limit + 1)
    if not data:
        raise BadImage("-: nothing on standard input (0 bytes)")
    if len(data) > limit:
        raise BadImage(f"-: standard input holds more than the {limit:,}-byte limit")
    return data


@contextmanager
def query_source(item: str, clips: bool = True) -> Iterator[tuple[object, bool]]:
    """(what to search, whether it is a clip) for one command-line input. Standard input gives the
    picture's bytes, or a clip (told by its leading bytes) as a temporary file (`clip_upload`);
    errors name it `-` either way."""
    from animeid.media.images import describe
    from animeid.scenes.clip_search import clip_suffix, clip_upload, is_clip

    if not is_stdin(item):
        yield item, clips and is_clip(item)
        return
    data = read_stdin()
    suffix = clip_suffix(data) if clips else None
    if suffix is None:
        with errors_naming(describe(data), STDIN):
            yield data, False
        return
    with clip_upload(data, suffix, STDIN) as path:
        yield path, True

"""Checks on a folder a command will write, made before the minutes of work whose results go
there: a path under a file or in a read-only place should fail in the first second, in one line,
not as a traceback after training or evaluating."""
from __future__ import annotations

import os
from pathlib import Path

from animeid.errors import AnimeidError


def existing_ancestor(path: Path) -> Path:
    """The nearest part of `path` that exists (itself, or a parent)."""
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def check_output_folder(path: Path | str, option: str) -> Path:
    """The absolute folder `path` names, if it is (or can become) a writable folder. Resolving
    matters: `--model .` has no name to put a temporary sibling beside."""
    try:
        path = Path(path).expanduser().resolve()
    except (OSError, RuntimeError) as exc:
        raise AnimeidError(f"{option} {path}: not a usable path ({exc})") from None
    if path.exists() and not path.is_dir():
        raise AnimeidError(f"{option} {path}: exists and is not a folder")
    anc = existing_ancestor(path)
    if not anc.is_dir():
        raise AnimeidError(f"{option} {path}: {anc} is a file, so no folder can be made inside it")
    if not os.access(anc, os.W_OK | os.X_OK):
        raise AnimeidError(f"{option} {path}: {anc} is not writable")
    return path

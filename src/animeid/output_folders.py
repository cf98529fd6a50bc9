"""Writing a command's outputs: the folder is checked before the minutes of work whose results go
there (a path under a file or in a read-only place should fail in the first second, in one line,
not as a traceback after training or evaluating), and files land whole or not at all."""
from __future__ import annotations

import os
import tempfile
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


def give_default_mode(path: str | Path) -> None:
    """The mode a plain write would have given `path` (0666 less the umask): a file made by
    `tempfile.mkstemp` is 0600, which would hide a report or a shared cache from other users once
    it replaces the real one."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def write_text_atomic(path: Path, text: str) -> None:
    """Write through a temporary sibling and rename, so a reader never sees half a file and a
    failure leaves neither half a file nor the temporary one behind."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        give_default_mode(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

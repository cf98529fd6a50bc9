"""Writing a command's outputs: the folder is checked before the minutes of work whose results go
there (a path under a file or in a read-only place should fail in the first second, in one line,
not as a traceback after training or evaluating), and files land whole or not at all."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from animeid.errors import AnimeidError


def existing_ancestor(path: Path) -> Path:
    """The nearest part of `path` that exists (itself, or a parent)."""
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def refuse_dangling_links(path: Path | str, option: str) -> None:
    """A symbolic link to a missing folder, as the output or any folder above it, is most often a
    drive that is not mounted: following it would create the target under the bare mount point
    (or anywhere else it names), so it is refused before any work rather than quietly made."""
    given = Path(path).expanduser()
    for part in [*reversed(given.parents), given]:
        if not part.is_symlink() or part.exists():
            continue
        try:
            target = os.readlink(part)
        except OSError:
            target = "?"
        where = f"{option} {given} is" if part == given else f"{option} {given}: {part} is"
        raise AnimeidError(f"{where} a symbolic link to a missing folder ({target}); mount or create it, or "
                           f"choose another {option}")


def check_output_folder(path: Path | str, option: str) -> Path:
    """The absolute folder `path` names, if it is (or can become) a writable folder. Resolving
    matters: `--model .` has no name to put a temporary sibling beside."""
    refuse_dangling_links(path, option)
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


def remove_path(path: Path, ignore_errors: bool = False) -> None:
    """Remove what is at `path`, a folder or not (a link is removed, never followed): a stray file
    where a folder of ours belongs, or the other way round, must not stop the write that replaces it."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=ignore_errors)
    else:
        path.unlink(missing_ok=True)

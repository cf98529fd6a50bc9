"""Checkpoints written atomically (temp file + rename), so a kill or a full disk mid-write leaves
the previous checkpoint intact, and tagged with the architecture they belong to, so resuming with
another backbone or head fails with a clear message instead of a wall of shape mismatches."""
from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

from animeid.errors import AnimeidError


# Below this much free space a failed write is taken for a full disk: torch's writer reports one
# as "unexpected pos ...", "basic_ios::clear: iostream error" or "file write failed", not as ENOSPC.
NEARLY_FULL = 1 << 20


def _disk_full(folder: Path, exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    if "No space left" in str(exc):
        return True
    try:
        return shutil.disk_usage(folder).free < NEARLY_FULL
    except OSError:
        return False


def save_checkpoint(state: dict, path: Path) -> Path:
    """Any failure while writing is a write failure (torch wraps a full disk in a RuntimeError
    whose wording changes between versions); the temp file goes, the previous file stays."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".tmp", dir=path.parent, prefix=path.name)
    os.close(fd)
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    except (OSError, RuntimeError) as exc:
        full = _disk_full(path.parent, exc)   # while the partial file still fills the disk
        if os.path.exists(tmp):
            os.unlink(tmp)
        if full:
            raise AnimeidError(f"out of disk space writing {path}; the previous checkpoint is intact") from None
        reason = (exc.strerror if isinstance(exc, OSError) else None) or str(exc).splitlines()[0] or type(exc).__name__
        raise AnimeidError(f"cannot write {path}: {reason}; the previous checkpoint is intact") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def load_checkpoint(path: Path, arch: dict | None = None,
                    remedy: str = "use another --out folder or pass --restart") -> dict:
    """Load a checkpoint, refusing one made for a different architecture; `remedy` is what the
    user can do about that (a training run can start over; an exported model cannot)."""
    import torch

    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise AnimeidError(f"{path}: not a readable checkpoint ({type(exc).__name__}: {exc})") from None
    if not isinstance(state, dict) or "arch" not in state:
        raise AnimeidError(f"{path}: not an animeid checkpoint")
    if arch is not None and state["arch"] != arch:
        theirs = ", ".join(f"{k}={v}" for k, v in sorted(state["arch"].items()))
        ours = ", ".join(f"{k}={v}" for k, v in sorted(arch.items()))
        raise AnimeidError(f"{path} was saved for another architecture ({theirs}), this run is ({ours}); "
                           f"{remedy}")
    return state

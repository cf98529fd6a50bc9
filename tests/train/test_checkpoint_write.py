"""A checkpoint write that fails (a full disk, as torch reports it in its own words) is one line,
removes its temp file and leaves the previous checkpoint byte for byte."""
import errno
from collections import namedtuple
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from animeid.errors import AnimeidError  # noqa: E402
from animeid.train import checkpoint  # noqa: E402
from animeid.train.checkpoint import save_checkpoint  # noqa: E402

Usage = namedtuple("Usage", "total used free")


def _failing_save(exc):
    def save(state, f, *a, **k):
        Path(f).write_bytes(b"half a checkpoint")
        raise exc
    return save


@pytest.fixture
def previous(tmp_path):
    path = save_checkpoint({"arch": {"kind": "siamese"}, "step": 1}, tmp_path / "finetune.ckpt")
    return path, path.read_bytes()


@pytest.mark.parametrize("exc", [RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 1 vs 2"),
                                 RuntimeError("basic_ios::clear: iostream error"),
                                 OSError(errno.EIO, "Input/output error")])
def test_full_disk_is_one_line_and_keeps_the_previous_checkpoint(previous, monkeypatch, exc):
    path, before = previous
    monkeypatch.setattr(torch, "save", _failing_save(exc))
    monkeypatch.setattr(checkpoint.shutil, "disk_usage", lambda p: Usage(100, 100, 0))
    with pytest.raises(AnimeidError) as info:
        save_checkpoint({"arch": {"kind": "siamese"}, "step": 2}, path)
    assert str(info.value) == f"out of disk space writing {path}; the previous checkpoint is intact"
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["finetune.ckpt"]


def test_enospc_is_out_of_disk_whatever_the_free_space(previous, monkeypatch):
    path, before = previous
    monkeypatch.setattr(torch, "save", _failing_save(OSError(errno.ENOSPC, "No space left on device")))
    with pytest.raises(AnimeidError, match="^out of disk space writing"):
        save_checkpoint({"arch": {}}, path)
    assert path.read_bytes() == before


def test_other_write_failure_says_why(previous, monkeypatch):
    path, before = previous
    monkeypatch.setattr(torch, "save", _failing_save(RuntimeError("unexpected pos 1 vs 2\nmore")))
    monkeypatch.setattr(checkpoint.shutil, "disk_usage", lambda p: Usage(10**12, 0, 10**12))
    with pytest.raises(AnimeidError) as info:
        save_checkpoint({"arch": {}}, path)
    assert str(info.value) == f"cannot write {path}: unexpected pos 1 vs 2; the previous checkpoint is intact"
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["finetune.ckpt"]

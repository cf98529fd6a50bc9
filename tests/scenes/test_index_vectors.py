"""Opening an index's vectors while `animeid index` finishes beside it (it saves the vectors and
retires log chunks between a reader listing them and reading them), and a log folder replaced by
a file: each a clear outcome, never a traceback."""
from __future__ import annotations

import shutil

import pytest

from animeid.errors import IncompatibleIndex
from animeid.scenes.index import Index
from animeid.store.shards import ShardLog


def test_a_chunk_retired_while_being_read_starts_the_load_over(scene_db, monkeypatch):
    after = ShardLog.after
    calls = []

    def retired_once(self, seq):
        calls.append(seq)
        if len(calls) == 1:   # the writer's flush deleted the chunk this reader had listed
            raise FileNotFoundError(2, "No such file or directory", str(self.folder / "00000002.npz"))
        return after(self, seq)

    monkeypatch.setattr(ShardLog, "after", retired_once)
    with Index.load(scene_db) as index:
        assert len(calls) == 2 and index.counts()["vectors"] == index.counts()["entries"] > 0


def test_a_load_that_never_settles_says_so_in_one_line(scene_db, monkeypatch):
    def always_retired(self, seq):
        raise FileNotFoundError(2, "No such file or directory", "x.npz")

    monkeypatch.setattr(ShardLog, "after", always_retired)
    with pytest.raises(IncompatibleIndex, match="its vectors kept changing while being read .* try again"):
        Index.load(scene_db)


def test_a_file_where_the_log_folder_belongs_is_a_damaged_index(scene_db, tmp_path):
    db = tmp_path / "idx"
    shutil.copytree(scene_db, db)
    shutil.rmtree(db / "wal")
    (db / "wal").write_text("hi")
    with pytest.raises(IncompatibleIndex, match="damaged index \\(.*wal is not a folder\\); move the folder aside"):
        Index.load(db)


def test_an_embedder_now_configured_otherwise_is_refused_by_name(scene_db, tmp_path):
    """Same weights, other preprocessing (an embedder re-registered with --force and another mean or
    std): the stored vectors cannot be compared with the new ones, and search said nothing."""
    import json

    import numpy as np

    db = tmp_path / "idx"
    shutil.copytree(scene_db, db)
    config = json.loads((db / "index.json").read_text())
    config["embedder"]["mean"] = [0.4, 0.4, 0.4]
    (db / "index.json").write_text(json.dumps(config))
    with Index.load(db) as index:
        with pytest.raises(IncompatibleIndex, match="configured otherwise \\(mean \\(0.4, 0.4, 0.4\\) -> \\(0.5, 0.5, 0.5\\)\\); register it as it was"):
            index.search(np.zeros((64, 64, 3), np.uint8))

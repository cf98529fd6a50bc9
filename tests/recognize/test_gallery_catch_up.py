"""A gallery held open (a server) while another process enrols into it: the images each label
adds are added to the held vector index, not rebuilt from SQLite (20 s per label at 30,000
images), and a removal, after which SQLite may give a removed image's id to a new one, still
rebuilds it."""
from __future__ import annotations

import numpy as np
import pytest

from animeid.recognize.gallery import Gallery

DIM = 8


def _vectors(seed: int, n: int = 3) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture
def folder(tmp_path):
    gallery = Gallery.create(tmp_path / "g", {"dim": DIM, "factory": "Flat"})
    for n in range(3):
        gallery.add(f"label{n}", _vectors(n), ["a", "b", "c"])
    gallery.save_index()
    gallery.close()
    return tmp_path / "g"


@pytest.fixture
def rebuilds(monkeypatch):
    calls = []
    rebuild = Gallery.rebuild_index
    monkeypatch.setattr(Gallery, "rebuild_index", lambda self: calls.append(1) or rebuild(self))
    return calls


def _top_label(gallery: Gallery, vector: np.ndarray) -> str | None:
    _, ids = gallery.vector_index().search(vector[None], 1)
    return gallery.labels_of(ids[0])[0]


def test_a_held_index_takes_the_images_another_process_adds(folder, rebuilds):
    served = Gallery.open(folder)
    assert served.vector_index().ntotal == 9
    writer = Gallery.open(folder, write=True)
    for n in (10, 11):   # an enrol stores label after label; it saves the index only at its end
        writer.add(f"new{n}", _vectors(n), ["a", "b", "c"])
        assert _top_label(served, _vectors(n)[1]) == f"new{n}"
    assert served.vector_index().ntotal == len(served) == 15
    assert rebuilds == []


def test_a_fresh_reader_catches_up_the_saved_index(folder, rebuilds):
    writer = Gallery.open(folder, write=True)
    writer.add("new", _vectors(10), ["a", "b", "c"])   # not saved yet (`animeid identify` meanwhile)
    reader = Gallery.open(folder)
    assert _top_label(reader, _vectors(10)[0]) == "new" and reader.vector_index().ntotal == 12
    assert rebuilds == []


def test_ids_given_again_after_a_removal_are_rebuilt(folder, rebuilds):
    served = Gallery.open(folder)
    served.vector_index()
    writer = Gallery.open(folder, write=True)
    writer.remove_label("label2")          # the highest ids: SQLite hands them out again
    writer.add("other", _vectors(20), ["a", "b", "c"])
    assert len(served) == 9 and _top_label(served, _vectors(20)[0]) == "other"
    assert _top_label(served, _vectors(2)[0]) != "label2"
    assert len(rebuilds) == 1


def _write_as_before_removals_were_counted(folder, remove: str, add: str, vectors: np.ndarray) -> None:
    """What an `animeid enroll` of a release before today's does: delete a label, then (killed
    before its refit, or a server asking in between) store another, counting neither."""
    import sqlite3

    conn = sqlite3.connect(folder / "gallery.sqlite")
    with conn:
        label_id = conn.execute("SELECT id FROM labels WHERE name=?", (remove,)).fetchone()[0]
        conn.execute("DELETE FROM items WHERE label_id=?", (label_id,))
        conn.execute("DELETE FROM labels WHERE id=?", (label_id,))
        conn.execute("UPDATE meta SET value=json(value)+1 WHERE key='generation'")
    with conn:
        conn.execute("INSERT INTO labels(name) VALUES (?)", (add,))
        label_id = conn.execute("SELECT id FROM labels WHERE name=?", (add,)).fetchone()[0]
        for vec in vectors:
            conn.execute("INSERT INTO items(label_id, source, vector, digest) VALUES (?, 'x', ?, NULL)",
                         (label_id, vec.tobytes()))
        conn.execute("UPDATE meta SET value=json(value)+1 WHERE key='generation'")
    conn.close()


@pytest.mark.parametrize("held", [True, False])
def test_ids_given_again_by_an_older_release_are_rebuilt(folder, rebuilds, held):
    served = Gallery.open(folder)
    if held:
        served.vector_index()
    _write_as_before_removals_were_counted(folder, "label2", "other", _vectors(20))
    assert _top_label(served, _vectors(20)[0]) == "other"
    assert _top_label(served, _vectors(2)[0]) != "label2"

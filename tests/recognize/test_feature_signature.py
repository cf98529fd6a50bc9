"""A gallery records how its vectors were embedded, preprocessing included: an embedder
re-registered with the same weights but another size, mean or std embeds otherwise, and queries
must not be compared with the stored vectors silently. Galleries from before preprocessing was
recorded still open."""
from __future__ import annotations

import json
import sqlite3

import pytest

from animeid.errors import IncompatibleIndex
from animeid.recognize.recognizer import Recognizer
from tests.recognize.test_recognizer import enrol_folder


def _rewrite_features(db, change) -> None:
    conn = sqlite3.connect(db / "gallery.sqlite")
    with conn:
        features = json.loads(conn.execute("SELECT value FROM meta WHERE key='features'").fetchone()[0])
        change(features["embedders"][0])
        conn.execute("UPDATE meta SET value=? WHERE key='features'", (json.dumps(features),))
    conn.close()


def test_an_embedder_configured_otherwise_is_refused_and_an_old_gallery_opens(tmp_path, colour_gallery, test_cfg):
    db = tmp_path / "db"
    with Recognizer.create(db, "character", cfg=test_cfg) as rec:
        enrol_folder(rec, colour_gallery)

    _rewrite_features(db, lambda e: e.update(mean=[0.4, 0.4, 0.4]))
    with pytest.raises(IncompatibleIndex, match="configured otherwise \\(test-colour mean \\[0.4, 0.4, 0.4\\] -> "
                                                "\\[0, 0, 0\\]\\): register them as they were, or re-enrol"):
        Recognizer.load(db)

    def as_before(entry):   # what galleries held before preprocessing was recorded
        for key in ("input_size", "mean", "std", "metric"):
            entry.pop(key)

    _rewrite_features(db, as_before)
    with Recognizer.load(db) as rec:
        assert sum(rec.labels().values()) == 18

"""A run killed between storing images and recalibrating (the refit comes last) must not leave the
gallery's scores stale for good: the same command run again finishes the calibration, and
`identify` says the scores are stale meanwhile. Several removals are one transaction, so a killed
one leaves every label and its re-run succeeds."""
from __future__ import annotations

import pytest

from animeid.cli.main import main
from animeid.errors import AnimeidError
from animeid.recognize.recognizer import Recognizer
from tests.recognize.test_enroll_cli import enrol, make


def _store_without_refit(db, gallery, labels):
    """What a kill -9 after `enroll` stored its rows and before its final refit leaves behind."""
    with Recognizer.load(db, write=True) as rec:
        for label in labels:
            assert rec.enroll(label, sorted((gallery / label).iterdir()), warn=lambda m: None, refit=False) > 0


def test_a_rerun_finishes_the_calibration_a_killed_enrol_left_undone(tmp_path, capsys):
    first = make(tmp_path / "g1", {"a": 4, "b": 4})
    db = tmp_path / "db"
    assert enrol(first, "--db", db) == 0
    with Recognizer.load(db) as rec:
        assert not rec.calibration_stale()
    more = make(tmp_path / "g2", {"c": 4, "d": 4})
    _store_without_refit(db, more, ["c", "d"])
    with Recognizer.load(db) as rec:
        assert rec.calibration_stale() and rec.calibration.known_queries == 8   # still the a/b fit
    capsys.readouterr()

    assert main(["identify", str(more / "c" / "0.png"), "--db", str(db)]) == 0
    assert "changed after its scores were calibrated" in capsys.readouterr().err

    assert enrol(more, "--db", db) == 0   # stores nothing new...
    out, err = capsys.readouterr()
    assert "enrolled 0 images" in out and "calibration on held-out gallery folds" in out
    assert "calibrating it now" in err
    with Recognizer.load(db) as rec:   # ...and calibrates all four labels
        assert not rec.calibration_stale() and rec.calibration.known_queries == 16
    assert enrol(more, "--db", db) == 0   # nothing left to finish: no note
    assert "calibrating it now" not in capsys.readouterr().err


def test_a_first_enrol_killed_before_its_refit_is_finished_too(tmp_path, capsys, test_cfg):
    gallery = make(tmp_path / "g", {"a": 4, "b": 4})
    db = tmp_path / "db"
    with Recognizer.create(db, "character", cfg=test_cfg) as rec:
        pass
    _store_without_refit(db, gallery, ["a", "b"])
    with Recognizer.load(db) as rec:
        assert rec.calibration is None and rec.calibration_stale()
    assert enrol(gallery, "--db", db) == 0
    with Recognizer.load(db) as rec:
        assert rec.calibration is not None and not rec.calibration_stale()


def test_several_removals_are_one_transaction(tmp_path, capsys, monkeypatch):
    gallery = make(tmp_path / "g", {"a": 3, "b": 3, "c": 3})
    db = tmp_path / "db"
    assert enrol(gallery, "--db", db) == 0
    import sqlite3

    from animeid.recognize.gallery import Gallery

    connect = Gallery._connect   # put back below
    deletes = []

    def failing_second_label_delete(path, **_):
        """A connection that fails (as a kill would stop it) deleting the second label's row."""
        conn = sqlite3.connect(str(path), check_same_thread=False, cached_statements=0)   # each DELETE prepared anew
        conn.execute("PRAGMA foreign_keys = ON")

        def authorise(action, table, *_):
            if action == sqlite3.SQLITE_DELETE and table == "labels":
                deletes.append(table)
                if len(deletes) == 2:
                    return sqlite3.SQLITE_DENY
            return sqlite3.SQLITE_OK

        conn.set_authorizer(authorise)
        return conn

    monkeypatch.setattr(Gallery, "_connect", staticmethod(failing_second_label_delete))
    with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
        main(["enroll", "--db", str(db), "--remove", "a", "--remove", "b"])
    monkeypatch.setattr(Gallery, "_connect", staticmethod(connect))
    with Recognizer.load(db) as rec:
        assert rec.labels() == {"a": 3, "b": 3, "c": 3} and not rec.calibration_stale()
    capsys.readouterr()
    assert main(["enroll", "--db", str(db), "--remove", "a", "--remove", "b"]) == 0
    assert capsys.readouterr().out.splitlines() == ["removed 'a' (3 images)", "removed 'b' (3 images)"]
    with Recognizer.load(db) as rec:
        assert rec.labels() == {"c": 3} and not rec.calibration_stale()
    with pytest.raises(AnimeidError, match="no label 'zz'"):
        with Recognizer.load(db, write=True) as rec:
            rec.remove_labels(["c", "zz"])
    with Recognizer.load(db) as rec:
        assert rec.labels() == {"c": 3}


def test_a_file_where_the_vector_cache_belongs_does_not_stop_enrolling(tmp_path, capsys):
    """The rows commit first, then the vector cache is saved: a stray file there raised after the
    commit, leaving the calibration stale."""
    db = tmp_path / "db"
    assert enrol(make(tmp_path / "g1", {"a": 4, "b": 4}), "--db", db) == 0
    import shutil

    shutil.rmtree(db / "vectors")
    (db / "vectors").write_text("hi")
    assert enrol(make(tmp_path / "g2", {"c": 4}), "--db", db) == 0
    assert main(["enroll", "--db", str(db), "--remove", "a"]) == 0
    with Recognizer.load(db) as rec:
        assert rec.labels() == {"b": 4, "c": 4} and not rec.calibration_stale()
    assert (db / "vectors").is_dir()


def test_a_rerun_of_a_removal_killed_before_its_refit_finishes_it(tmp_path, capsys):
    gallery = make(tmp_path / "g", {"a": 4, "b": 4, "c": 4})
    db = tmp_path / "db"
    assert enrol(gallery, "--db", db) == 0
    with Recognizer.load(db, write=True) as rec:   # what a kill -9 after the removal's commit leaves
        rec.gallery.remove_labels(["a"])
    with Recognizer.load(db) as rec:
        assert rec.calibration_stale() and rec.removed_uncalibrated() == ["a"]
        assert rec.calibration.known_queries == 12   # still the a/b/c fit
    capsys.readouterr()
    assert main(["identify", str(gallery / "b" / "0.png"), "--db", str(db)]) == 0
    assert "re-run that `animeid enroll" in capsys.readouterr().err

    assert main(["enroll", "--db", str(db), "--remove", "a"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == ["'a' was already removed (by an interrupted run)"]
    assert "calibrating it now" in err
    with Recognizer.load(db) as rec:
        assert rec.labels() == {"b": 4, "c": 4} and not rec.calibration_stale()
        assert rec.calibration.known_queries == 8 and rec.removed_uncalibrated() == []
    # once finished, the label is simply not there: a typo is not taken for a finished removal
    assert main(["enroll", "--db", str(db), "--remove", "a"]) == 2
    assert "no label 'a'" in capsys.readouterr().err


def test_a_removal_killed_before_its_refit_with_a_typo_beside_it_removes_nothing(tmp_path, capsys):
    gallery = make(tmp_path / "g", {"a": 4, "b": 4, "c": 4})
    db = tmp_path / "db"
    assert enrol(gallery, "--db", db) == 0
    with Recognizer.load(db, write=True) as rec:
        rec.gallery.remove_labels(["a"])
    assert main(["enroll", "--db", str(db), "--remove", "a", "--remove", "b", "--remove", "zz"]) == 2
    assert "no label 'zz'" in capsys.readouterr().err
    with Recognizer.load(db) as rec:
        assert rec.labels() == {"b": 4, "c": 4} and rec.calibration_stale()
    assert main(["enroll", "--db", str(db), "--remove", "a", "--remove", "b"]) == 0
    assert capsys.readouterr().out.splitlines()[-2:] == ["'a' was already removed (by an interrupted run)",
                                                          "removed 'b' (4 images)"]
    with Recognizer.load(db) as rec:
        assert rec.labels() == {"c": 4} and not rec.calibration_stale() and rec.removed_uncalibrated() == []


def test_identify_during_an_enrol_under_way_says_so_instead_of_calling_it_interrupted(tmp_path, capsys):
    gallery = make(tmp_path / "g", {"a": 4, "b": 4})
    db = tmp_path / "db"
    assert enrol(gallery, "--db", db) == 0
    more = make(tmp_path / "g2", {"c": 4})
    with Recognizer.load(db, write=True) as rec:   # holds the write lock, as a running enrol does
        assert rec.enroll("c", sorted((more / "c").iterdir()), warn=lambda m: None, refit=False) > 0
        capsys.readouterr()
        assert main(["identify", str(more / "c" / "0.png"), "--db", str(db)]) == 0
        err = capsys.readouterr().err
        assert "is changing" in err and "interrupted" not in err
    assert main(["identify", str(more / "c" / "0.png"), "--db", str(db)]) == 0   # killed: nobody holds it
    assert "interrupted enrol" in capsys.readouterr().err

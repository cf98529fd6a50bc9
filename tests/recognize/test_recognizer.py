"""Enrol -> identify -> remove on synthetic colour classes, with the bad inputs the issue lists."""
import json

import numpy as np
import pytest
from PIL import Image

from animeid.errors import AnimeidError, BadImage, IncompatibleIndex
from animeid.recognize.recognizer import UNKNOWN, Recognizer
from animeid.recognize.gallery import check_label


def enrol_folder(rec, root):
    for d in sorted(root.iterdir()):
        rec.enroll(d.name, sorted(d.iterdir()), refit=False)
    rec.refit()


def test_enrol_identify_reload(tmp_path, colour_gallery, test_cfg, rng, colours):
    db = tmp_path / "db"
    rec = Recognizer.create(db, "character", cfg=test_cfg)
    enrol_folder(rec, colour_gallery)
    assert rec.labels() == {"green": 6, "red": 6, "ブルー.v2 (blue)": 6}
    query = colours(rng, (30, 40, 220), 1)[0]
    res = rec.identify(query, k=3)
    assert res[0]["label"] == "ブルー.v2 (blue)"
    assert 0.5 < res[0]["score"] <= 1.0
    assert [r["score"] for r in res] == sorted([r["score"] for r in res], reverse=True)
    rec.close()

    again = Recognizer.load(db)
    assert again.identify(query, k=1)[0]["label"] == "ブルー.v2 (blue)"
    json.dumps(again.identify(query))  # JSON-ready
    # a colour nobody enrolled is rejected
    grey = colours(rng, (128, 128, 128), 1, noise=2)[0]
    assert again.identify(grey)[0]["label"] == UNKNOWN


def test_remove_label_keeps_others(tmp_path, colour_gallery, test_cfg, rng, colours):
    db = tmp_path / "db"
    rec = Recognizer.create(db, "character", cfg=test_cfg)
    enrol_folder(rec, colour_gallery)
    assert rec.remove_label("red") == 6
    assert "red" not in rec.labels() and rec.labels()["green"] == 6
    red = colours(rng, (220, 30, 30), 1)[0]
    assert all(r["label"] != "red" for r in rec.identify(red))
    with pytest.raises(AnimeidError, match="no label"):
        rec.remove_label("red")
    rec.close()
    assert set(Recognizer.load(db).labels()) == {"green", "ブルー.v2 (blue)"}


def test_unreadable_images_are_skipped_not_fatal(tmp_path, colour_gallery, test_cfg):
    bad = colour_gallery / "red" / "broken.png"
    bad.write_bytes(b"not an image")
    warnings = []
    rec = Recognizer.create(tmp_path / "db", "character", cfg=test_cfg)
    n = rec.enroll("red", sorted((colour_gallery / "red").iterdir()), warn=warnings.append)
    assert n == 6
    assert any("broken.png" in w for w in warnings)


def test_single_image_class_warns(tmp_path, test_cfg, rng, colours):
    warnings = []
    rec = Recognizer.create(tmp_path / "db", "character", cfg=test_cfg)
    rec.enroll("solo", colours(rng, (10, 10, 10), 1), warn=warnings.append)
    assert any("single image" in w for w in warnings)
    assert rec.identify(colours(rng, (10, 10, 10), 1)[0])[0]["label"] in ("solo", UNKNOWN)


def test_bad_labels_and_inputs(tmp_path, test_cfg):
    assert check_label("a/b.c ü") == "a/b.c ü"
    for bad, why in (("", "non-empty text"), ("   ", "blank: only spaces"), ("tab\tlabel", "control characters")):
        with pytest.raises(AnimeidError, match=why):
            check_label(bad)
    rec = Recognizer.create(tmp_path / "db", "character", cfg=test_cfg)
    with pytest.raises(AnimeidError, match="empty"):
        rec.identify(np.zeros((20, 20, 3), np.uint8))
    with pytest.raises(BadImage):
        rec.identify(tmp_path / "missing.png")
    with pytest.raises(AnimeidError, match="kind"):
        Recognizer.create(tmp_path / "db2", "poster", cfg=test_cfg)
    with pytest.raises(AnimeidError, match="nowhere: no such folder; create one with"):
        Recognizer.load(tmp_path / "nowhere")


def test_gallery_from_another_embedder_is_refused(tmp_path, colour_gallery, test_cfg):
    db = tmp_path / "db"
    rec = Recognizer.create(db, "character", cfg=test_cfg)
    enrol_folder(rec, colour_gallery)
    stored = rec.gallery.meta("features")
    stored["embedders"][0]["weights_sha256"] = "other-weights"
    rec.gallery.set_meta("features", stored)
    rec.close()
    with pytest.raises(IncompatibleIndex, match="re-enrol"):
        Recognizer.load(db)


def test_stale_vector_index_is_rebuilt_from_sqlite(tmp_path, colour_gallery, test_cfg, rng, colours):
    """A crash after the SQLite commit but before the index save loses nothing."""
    db = tmp_path / "db"
    rec = Recognizer.create(db, "character", cfg=test_cfg)
    enrol_folder(rec, colour_gallery)
    rec.gallery.add("grey", np.tile(rec.features.extract(colours(rng, (128, 128, 128), 1, noise=2)), (3, 1)),
                    ["a", "b", "c"])  # committed, index on disk now stale
    rec.close()
    again = Recognizer.load(db)
    assert len(again.gallery.vector_index().ids()) == 21
    answers = [r["label"] for r in again.identify(colours(rng, (128, 128, 128), 1, noise=2)[0])]
    assert [a for a in answers if a != UNKNOWN][0] == "grey"


def test_faces_mode_falls_back_to_whole_image(tmp_path, colour_gallery, test_cfg):
    rec = Recognizer.create(tmp_path / "db", "character", cfg=test_cfg)
    enrol_folder(rec, colour_gallery)
    img = np.asarray(Image.open(sorted((colour_gallery / "green").iterdir())[0]).resize((96, 96)))
    faces, fell_back = rec.identify_faces(img)
    assert fell_back and faces[0]["box"] is None
    assert faces[0]["results"][0]["label"] == "green"


def test_enrolling_the_same_images_again_adds_nothing(tmp_path, colour_gallery, test_cfg):
    rec = Recognizer.create(tmp_path / "db", "character", cfg=test_cfg)
    enrol_folder(rec, colour_gallery)
    warnings = []
    red = sorted((colour_gallery / "red").iterdir())
    assert rec.enroll("red", red, warn=warnings.append) == 0
    assert rec.labels()["red"] == 6 and "6 image(s) already enrolled" in warnings[0]
    # the same picture under another label is enrolled, with a warning naming the first label
    assert rec.enroll("crimson", red[:1], warn=warnings.append) == 1
    assert any("already enrolled as 'red'" in w for w in warnings)
    # in-memory images are recognised by their pixels (a file by its bytes: the array is new once)
    pixels = np.asarray(Image.open(red[1]))
    assert rec.enroll("crimson", [pixels, pixels.copy()], warn=warnings.append) == 1
    assert rec.enroll("crimson", [pixels.copy()], warn=warnings.append) == 0


def test_unknown_is_a_reserved_label(tmp_path, test_cfg, rng, colours):
    rec = Recognizer.create(tmp_path / "db", "character", cfg=test_cfg)
    with pytest.raises(AnimeidError, match="reserved"):
        rec.enroll(UNKNOWN, colours(rng, (10, 10, 10), 2))
    assert rec.enroll("Unknown", colours(rng, (10, 10, 10), 2)) == 2  # another spelling is a label


def test_k_counts_every_answer_unknown_included(tmp_path, colour_gallery, test_cfg, rng, colours):
    rec = Recognizer.create(tmp_path / "db", "character", cfg=test_cfg)
    enrol_folder(rec, colour_gallery)
    grey = colours(rng, (128, 128, 128), 1, noise=2)[0]
    one = rec.identify(grey, k=1)
    assert [r["label"] for r in one] == [UNKNOWN]
    assert len(rec.identify(grey, k=2)) == 2 and len(rec.identify(grey, k=3)) == 3
    for bad in (0, -1, 1.5, True):
        with pytest.raises(AnimeidError, match="k must be"):
            rec.identify(grey, k=bad)


def test_damaged_vector_cache_is_rebuilt(tmp_path, colour_gallery, test_cfg, rng, colours):
    db = tmp_path / "db"
    rec = Recognizer.create(db, "character", cfg=test_cfg)
    enrol_folder(rec, colour_gallery)
    rec.close()
    (db / "vectors" / "vectors.json").write_text("")
    again = Recognizer.load(db)
    assert again.identify(colours(rng, (220, 30, 30), 1)[0], k=1)[0]["label"] == "red"


def test_db_folder_must_be_new_empty_or_a_gallery(tmp_path, test_cfg):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "notes.txt").write_text("mine")
    with pytest.raises(AnimeidError, match="not empty"):
        Recognizer.create(tmp_path / "photos", "character", cfg=test_cfg)
    assert [p.name for p in (tmp_path / "photos").iterdir()] == ["notes.txt"]
    (tmp_path / "empty").mkdir()
    Recognizer.create(tmp_path / "empty", "character", cfg=test_cfg).close()
    (tmp_path / "afile").write_text("x")
    with pytest.raises(AnimeidError, match="is a file"):
        Recognizer.load(tmp_path / "afile")


@pytest.mark.parametrize("marker, what", [("index.json", "a scene index (built by `animeid index`)"),
                                           ("shards.json", "a sharded scene index (built with --shards)")])
def test_enrolling_into_a_scene_index_says_what_it_is(tmp_path, test_cfg, marker, what):
    """`animeid enroll ... --db my-index` said the index "holds no gallery", as if it were any
    folder; `animeid index` into a gallery names the gallery. Now both name what the --db holds."""
    (tmp_path / "idx").mkdir()
    (tmp_path / "idx" / marker).write_text("{}")
    with pytest.raises(AnimeidError) as refused:
        Recognizer.create(tmp_path / "idx", "character", cfg=test_cfg)
    assert str(refused.value) == f"{tmp_path / 'idx'}: {what}; refusing to write (enroll into another --db)"
    assert [p.name for p in (tmp_path / "idx").iterdir()] == [marker]


def test_gallery_made_before_digests_gains_the_column(tmp_path, colour_gallery, test_cfg):
    import sqlite3

    db = tmp_path / "db"
    rec = Recognizer.create(db, "character", cfg=test_cfg)
    enrol_folder(rec, colour_gallery)
    rec.close()
    conn = sqlite3.connect(db / "gallery.sqlite")
    conn.execute("DROP INDEX items_digest")
    conn.execute("ALTER TABLE items DROP COLUMN digest")
    conn.commit()
    conn.close()
    again = Recognizer.load(db)
    assert again.labels()["red"] == 6
    # old rows get the digest of the file they came from: enrolling the folder again adds nothing
    assert again.enroll("red", sorted((colour_gallery / "red").iterdir())) == 0
    assert again.labels()["red"] == 6


def test_an_upload_and_its_file_are_one_image(tmp_path, colour_gallery, test_cfg):
    """The service enrols the bytes it received; the CLI the file holding the same bytes."""
    rec = Recognizer.create(tmp_path / "db", "character", cfg=test_cfg)
    red = sorted((colour_gallery / "red").iterdir())
    assert rec.enroll("red", red[:3]) == 3
    assert rec.enroll("red", [p.read_bytes() for p in red[:4]]) == 1
    assert rec.gallery.sources()[-1] == "<bytes red#3>"


def test_an_old_row_whose_file_was_replaced_does_not_hide_the_new_picture(tmp_path, colour_gallery, test_cfg,
                                                                         rng, colours):
    """Rows from before digests get their file's digest only when the file still holds the
    enrolled picture; a picture put in its place since is new."""
    db = tmp_path / "db"
    rec = Recognizer.create(db, "character", cfg=test_cfg)
    red = sorted((colour_gallery / "red").iterdir())
    rec.enroll("red", red)
    with rec.gallery.conn:
        rec.gallery.conn.execute("UPDATE items SET digest = NULL")  # as a gallery made before digests
    Image.fromarray(colours(rng, (250, 250, 20), 1)[0]).save(red[0])  # replaced by another picture
    warnings = []
    assert rec.enroll("red", red, warn=warnings.append) == 1
    assert rec.labels()["red"] == 7
    assert any("5 image(s) already enrolled" in w for w in warnings)
    assert rec.enroll("red", red) == 0  # and now everything is known


def test_a_label_that_is_not_text_is_refused_before_sqlite_sees_it(tmp_path, test_cfg, rng, colours):
    """Python keeps a folder name's undecodable bytes as lone surrogates, which SQLite refuses
    with a UnicodeEncodeError; a label arriving another way (the API) must be refused as clearly."""
    rec = Recognizer.create(tmp_path / "db", "character", cfg=test_cfg)
    with pytest.raises(AnimeidError, match="not valid UTF-8"):
        rec.enroll("Caf\udce9", colours(rng, (200, 0, 0), 2))
    assert rec.labels() == {}
    rec.close()


def test_a_held_gallery_sees_what_another_process_enrols_and_removes(tmp_path, colour_gallery, test_cfg, rng,
                                                                       colours):
    """A server holds a gallery open while `animeid enroll` (another process: here another
    Recognizer on the same folder) adds and removes labels; the server's answers follow without a
    restart, and its own enrolments after that still keep everything."""
    db = tmp_path / "db"
    rec = Recognizer.create(db, "character", cfg=test_cfg)
    for label in ("red", "green"):
        rec.enroll(label, sorted((colour_gallery / label).iterdir()), refit=False)
    rec.refit()
    rec.close()
    held = Recognizer.load(db)
    blue = colours(rng, (30, 40, 220), 1)[0]
    assert held.identify(blue)[0]["label"] != "ブルー.v2 (blue)"    # builds the held index
    before = held.calibration

    other = Recognizer.load(db, write=True)
    other.enroll("ブルー.v2 (blue)", sorted((colour_gallery / "ブルー.v2 (blue)").iterdir()))
    assert held.identify(blue)[0]["label"] == "ブルー.v2 (blue)"
    assert held.labels()["ブルー.v2 (blue)"] == 6
    assert held.calibration == other.calibration != before

    assert other.remove_label("red") == 6
    other.close()
    red = colours(rng, (220, 30, 30), 1)[0]
    assert all(r["label"] != "red" for r in held.identify(red))

    # the held recognizer enrols itself (as the server's API does): its index, stale since the
    # removal, is rebuilt, so nothing the other process stored or removed is lost or revived
    held.enroll("dark", colours(rng, (10, 10, 10), 5))
    assert set(held.labels()) == {"green", "ブルー.v2 (blue)", "dark"}
    assert held.gallery.vector_index().ntotal == len(held.gallery) == 17
    assert held.identify(blue)[0]["label"] == "ブルー.v2 (blue)"
    held.close()


def test_the_score_is_the_same_whatever_k(tmp_path, colour_gallery, test_cfg, rng, colours, monkeypatch):
    """The score weighs the top label's lead over the runner-up: `k=1` must not cut the runner-up
    off before the lead is measured, or the one answer of `--k 1` scores higher than the same
    answer among five."""
    from animeid.recognize import calibration

    monkeypatch.setattr(calibration, "MARGIN_MIN_RIGHT", 0)   # 18 images: fewer right answers than it asks
    rec = Recognizer.create(tmp_path / "db", "character", cfg=test_cfg)
    enrol_folder(rec, colour_gallery)
    assert rec.calibration.margin_weight > 0  # else this test would not see the runner-up at all
    for rgb in ((150, 90, 60), (30, 40, 220), (200, 60, 40)):
        query = colours(rng, rgb, 1)[0]
        top_of_five = next(r for r in rec.identify(query, k=5) if r["label"] != UNKNOWN)
        one = rec.identify(query, k=2)  # the label (or unknown and the label)
        assert next(r for r in one if r["label"] != UNKNOWN) == top_of_five
        alone = rec.identify(query, k=1)[0]
        assert alone in (top_of_five, {"label": UNKNOWN, "score": round(1 - top_of_five["score"], 4)})


def test_a_gallery_calibrated_before_margins_answers_as_it_did(tmp_path, colour_gallery, test_cfg, rng, colours):
    """A stored calibration without `margin_weight` (galleries from before 2026-11-25) scores from
    the similarity alone, exactly as then, until the next enrol refits it."""
    from animeid.recognize.calibration import Calibration

    db = tmp_path / "db"
    rec = Recognizer.create(db, "character", cfg=test_cfg)
    enrol_folder(rec, colour_gallery)
    old = {k: v for k, v in rec.calibration.to_dict().items() if k != "margin_weight"}
    rec.gallery.set_meta("calibration", old)
    query = colours(rng, (30, 40, 220), 1)[0]
    answer = rec.identify(query, k=1)[0]
    expected = Calibration.from_dict(old)
    assert expected.margin_weight == 0.0
    # the similarity alone: the top label's mean of its best per_class neighbour similarities
    vec = rec.features.extract([query])[0]
    _, vecs, labels = rec.gallery.all_items()
    sims = np.sort(vecs[np.array(labels) == answer["label"]] @ vec)[::-1][:test_cfg.per_class]
    assert answer["score"] == round(float(expected.score(sims.mean())), 4)


def test_a_duplicate_upload_is_named_not_dumped_into_the_warning(tmp_path, colour_gallery, test_cfg):
    """An upload has no file name: the warning that it is already enrolled used to hold the repr of
    its bytes (a 454 KB PNG made a 1.6 MB answer from POST /enroll)."""
    rec = Recognizer.create(tmp_path / "db", "character", cfg=test_cfg)
    enrol_folder(rec, colour_gallery)
    warnings = []
    png = sorted((colour_gallery / "red").iterdir())[0]
    assert rec.enroll("crimson", [png.read_bytes()], warn=warnings.append) == 1
    (line,) = [w for w in warnings if "already enrolled as 'red'" in w]
    assert line.startswith("<bytes crimson#0>: ") and len(line) < 120
    # a path is named as given
    warnings.clear()
    assert rec.enroll("scarlet", [str(png)], warn=warnings.append) == 1
    assert any(w.startswith(f"{png}: the same image is already enrolled as") for w in warnings)

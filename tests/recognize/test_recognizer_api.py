"""The Python API's edges: a single image where a list is expected is refused (read item by item
it enrolled nothing and warned once per character), a failing batch names its input, and a
Recognizer is a context manager that says so when used after `close`."""
import numpy as np
import pytest

from animeid.errors import AnimeidError, BadImage
from animeid.recognize.recognizer import Recognizer


@pytest.fixture
def rec(tmp_path, colour_gallery, test_cfg):
    rec = Recognizer.create(tmp_path / "db", "character", cfg=test_cfg)
    for d in sorted(colour_gallery.iterdir()):
        rec.enroll(d.name, sorted(d.iterdir()), refit=False)
    rec.refit()
    yield rec
    rec.close()


@pytest.mark.parametrize("single", ["str", "path", "bytes", "array"])
def test_a_single_image_is_refused_where_a_list_is_expected(rec, colour_gallery, single):
    png = sorted((colour_gallery / "red").iterdir())[0]
    image = {"str": str(png), "path": png, "bytes": png.read_bytes(), "array": np.zeros((24, 24, 3), np.uint8)}[single]
    warnings = []
    with pytest.raises(AnimeidError, match=r"^enroll takes a list of images, not a single \w+; give \[image\]"):
        rec.enroll("crimson", image, warn=warnings.append)
    assert warnings == [] and "crimson" not in rec.labels()
    with pytest.raises(AnimeidError, match=r"^identify_many takes a list of images, .*use identify\(image\)"):
        rec.identify_many(image)


def test_lists_and_generators_of_one_image_work(rec, colour_gallery):
    green = sorted((colour_gallery / "green").iterdir())
    warnings = []
    assert rec.enroll("lime", [str(green[0])], warn=warnings.append) == 1  # held by "green" too: warned
    assert rec.enroll("olive", (p for p in green[1:3]), warn=warnings.append) == 2
    assert rec.labels()["lime"] == 1 and rec.labels()["olive"] == 2
    assert any("already enrolled as 'green'" in w for w in warnings)
    answers = rec.identify_many(str(p) for p in green[:2])
    # three labels now hold the same pictures: the best named label is one of them (tied, so
    # none leads the runner-up, and the answer may well be "unknown" first)
    named = [next(r["label"] for r in a if r["label"] != "unknown") for a in answers]
    assert len(answers) == 2 and all(label in ("green", "olive", "lime") for label in named)


def test_identify_many_is_all_or_nothing_and_names_the_failing_input(rec, colour_gallery, tmp_path):
    good = sorted((colour_gallery / "red").iterdir())[0]
    missing = tmp_path / "nope.png"
    with pytest.raises(BadImage, match=r"^image 2 of 3: .*nope\.png: no such file"):
        rec.identify_many([good, missing, good])
    with pytest.raises(BadImage, match=r"^image 1 of 1: <5 bytes>: not a readable image"):
        rec.identify_many([b"nope!"])


def test_a_recognizer_is_a_context_manager(tmp_path, colour_gallery, test_cfg):
    db = tmp_path / "db"
    with Recognizer.create(db, "character", cfg=test_cfg) as rec:
        assert rec.enroll("red", sorted((colour_gallery / "red").iterdir())) == 6
    with Recognizer.load(db) as again:
        assert again.labels() == {"red": 6}
        query = sorted((colour_gallery / "red").iterdir())[0]
        assert again.identify(query)[0]["label"] == "red"
    assert again._closed and rec._closed


def test_a_closed_recognizer_says_so(rec, colour_gallery):
    png = sorted((colour_gallery / "red").iterdir())[0]
    rec.close()
    calls = [lambda: rec.identify(png), lambda: rec.identify_many([png]), lambda: rec.identify_faces(png),
             lambda: rec.enroll("red", [png]), lambda: rec.remove_label("red"), lambda: rec.refit(),
             lambda: rec.labels(), lambda: rec.__enter__()]
    for call in calls:
        with pytest.raises(AnimeidError, match=r"^this Recognizer of .*db was closed; load it again"):
            call()
    rec.close()  # closing twice is harmless

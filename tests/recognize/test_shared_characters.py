"""End to end on real characters: enrol a few images per character, identify held-out ones."""
import numpy as np
import pytest

from animeid.media.images import list_images

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="session")
def danbooru_gallery(shared_data, tmp_path_factory):
    """Sixteen training images per danbooru6 character in a real Lite0 gallery (session-scoped: the
    embedding is the slow part)."""
    from animeid.recognize.datasets import manifest_split
    from animeid.recognize.recognizer import Recognizer

    train, test = manifest_split(shared_data / "characters" / "danbooru6")
    rec = Recognizer.create(tmp_path_factory.mktemp("dan") / "db", "character")
    by_label = {}
    for p, lab in zip(train.paths, train.labels):
        by_label.setdefault(lab, []).append(p)
    for lab, paths in sorted(by_label.items()):
        rec.enroll(lab, paths[:16], refit=False)
    rec.refit()
    return rec, test


def test_enrol_then_identify_danbooru(danbooru_gallery):
    rec, test = danbooru_gallery
    assert len(rec.labels()) == 6 and sum(rec.labels().values()) == 96
    answers = rec.identify_many(test.paths, k=5)
    top = [next(r["label"] for r in a if r["label"] != "unknown") for a in answers]
    acc = np.mean([t == y for t, y in zip(top, test.labels)])
    top5 = np.mean([y in [r["label"] for r in a] for a, y in zip(answers, test.labels)])
    print(f"danbooru6 test, 16-shot gallery: top-1 {acc:.3f}, top-5 {top5:.3f}")
    assert acc >= 0.7 and top5 >= 0.9
    assert all(0.0 <= r["score"] <= 1.0 for a in answers for r in a)


def test_character_not_enrolled_scores_lower(danbooru_gallery, shared_data):
    """A moeimouto10 character is in no danbooru6 gallery: its confidence must be lower on
    average than that of enrolled characters' held-out images."""
    rec, test = danbooru_gallery
    root = shared_data / "characters" / "moeimouto10" / "test"
    strangers = [list_images(d)[0] for d in sorted(root.iterdir())[:6]]
    known = [a[0]["score"] if a[0]["label"] != "unknown" else a[1]["score"] for a in rec.identify_many(test.paths[:12])]
    stranger = [a[1]["score"] if a[0]["label"] == "unknown" else a[0]["score"] for a in rec.identify_many(strangers)]
    assert np.mean(stranger) < np.mean(known)

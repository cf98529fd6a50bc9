"""/identify, /labels, /enroll and DELETE /labels with a real gallery (`animeid.recognize`), filled
through the API itself: generated pictures everywhere, real characters from ../shared/data."""
from __future__ import annotations

import io

import numpy as np
import pytest

from tests.service.conftest import API_KEY

pytest.importorskip("animeid.recognize.recognizer")
KEY = {"X-API-Key": API_KEY}


def _png(img: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def _pattern(kind: str, seed: int) -> np.ndarray:
    """Two visually distinct families of generated pictures: stripes and checkerboards."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:128, 0:128]
    if kind == "stripes":
        base = ((xx + seed * 3) // 8 % 2)[..., None] * np.array([230, 60, 40])
    else:
        base = (((xx // 16) + (yy // 16)) % 2)[..., None] * np.array([40, 90, 230])
    return np.clip(base + rng.normal(0, 12, (128, 128, 3)), 0, 255).astype(np.uint8)


@pytest.fixture
def gallery_client(make_settings, tmp_path):
    from fastapi.testclient import TestClient

    from animeid.service.app import create_app

    with TestClient(create_app(make_settings(gallery=tmp_path / "gallery"))) as c:
        yield c


def test_enroll_identify_and_delete_through_the_api(gallery_client):
    c = gallery_client
    caps = c.get("/health").json()["capabilities"]
    assert caps["identify"] is True and caps["writes"] is True
    assert c.post("/identify", content=_png(_pattern("stripes", 99))).status_code == 409   # empty gallery
    for label in ("stripes", "checks"):
        files = [("images", (f"{label}{i}.png", _png(_pattern(label, i)), "image/png")) for i in range(5)]
        r = c.post("/enroll", params={"label": label}, files=files, headers=KEY)
        assert r.status_code == 200, r.text
        assert r.json()["enrolled"] == 5 and r.json()["images_of_label"] == 5
    assert c.get("/labels").json()["labels"] == {"checks": 5, "stripes": 5}

    answer = c.post("/identify?faces=false&k=2", content=_png(_pattern("checks", 42))).json()
    known = [x["label"] for x in answer["results"] if x["label"] != "unknown"]
    assert known[0] == "checks"
    per_face = c.post("/identify", content=_png(_pattern("stripes", 43))).json()
    assert per_face["face_found"] is False and per_face["faces"][0]["box"] is None   # no face: whole picture
    assert [x["label"] for x in per_face["faces"][0]["results"] if x["label"] != "unknown"][0] == "stripes"

    r = c.delete("/labels/checks", headers=KEY)
    assert r.status_code == 200 and r.json() == {"label": "checks", "removed_images": 5}
    assert c.delete("/labels/checks", headers=KEY).status_code == 404
    assert c.get("/labels").json()["labels"] == {"stripes": 5}


def test_enroll_errors(gallery_client):
    c = gallery_client
    good = [("images", ("a.png", _png(_pattern("stripes", 1)), "image/png"))]
    assert c.post("/enroll", params={"label": "x"}, files=good).status_code == 401
    assert c.post("/enroll", params={"label": "x"}, files=good, headers={"X-API-Key": "not-the-key"}).status_code == 403
    bad = [("images", ("a.png", b"not an image", "image/png"))]
    r = c.post("/enroll", params={"label": "x"}, files=bad, headers=KEY)
    assert r.status_code == 400 and "not a readable image" in r.json()["error"]
    assert c.post("/enroll", files=good, headers=KEY).status_code == 422          # label missing
    assert c.get("/labels").json()["labels"] == {}                                 # nothing half-enrolled


@pytest.mark.shared_data
def test_real_characters_are_recognised_by_face(gallery_client, shared_data):
    root = shared_data / "characters" / "moeimouto10"
    chars = ["000_hatsune_miku", "002_suzumiya_haruhi", "008_shana"]
    for ch in chars:
        paths = sorted((root / "train" / ch).iterdir())[:12]
        files = [("images", (p.name, p.read_bytes(), "image/png")) for p in paths]
        r = gallery_client.post("/enroll", params={"label": ch[4:]}, files=files, headers=KEY)
        assert r.status_code == 200 and r.json()["enrolled"] == 12
    right = 0
    for ch in chars:
        for p in sorted((root / "test" / ch).iterdir())[:3]:
            answer = gallery_client.post("/identify", content=p.read_bytes()).json()
            face = answer["faces"][0]
            best = [x["label"] for x in face["results"] if x["label"] != "unknown"][0]
            right += best == ch[4:]
    # 9 test faces of 3 enrolled characters: 7 right when written; chance is 3
    assert right >= 6


def test_identify_k_counts_unknown_and_unknown_comes_first(gallery_client):
    """k answers at most, "unknown" included; "unknown" is listed first when the best label is
    below the threshold, with score 1 - best, so scores need not be in descending order."""
    c = gallery_client
    for label in ("stripes", "checks"):
        files = [("images", (f"{label}{i}.png", _png(_pattern(label, i)), "image/png")) for i in range(5)]
        assert c.post("/enroll", params={"label": label}, files=files, headers=KEY).status_code == 200
    noise = _png(np.random.default_rng(1).integers(0, 255, (128, 128, 3), dtype=np.uint8))
    one = c.post("/identify?faces=false&k=1", content=noise).json()["results"]
    assert [x["label"] for x in one] == ["unknown"]
    for k in (2, 3):
        results = c.post(f"/identify?faces=false&k={k}", content=noise).json()["results"]
        assert len(results) == k and results[0]["label"] == "unknown"
        assert abs(results[0]["score"] + results[1]["score"] - 1.0) <= 1e-4
        assert {x["label"] for x in results[1:]} <= {"stripes", "checks"}
    for face in c.post("/identify?k=2", content=noise).json()["faces"]:
        assert len(face["results"]) <= 2 and face["results"][0]["label"] == "unknown"
    known = c.post("/identify?faces=false&k=1", content=_png(_pattern("checks", 42))).json()["results"]
    assert [x["label"] for x in known] == ["checks"]


def test_the_server_answers_with_what_a_separate_enroll_added(gallery_client, tmp_path):
    """`animeid enroll` run beside a live server (another writer on the same folder): the server's
    next /identify knows the new label, no restart needed. Until 2026-11-25 it kept answering from
    the vectors it had loaded."""
    from animeid.recognize.recognizer import Recognizer

    c = gallery_client
    files = [("images", (f"s{i}.png", _png(_pattern("stripes", i)), "image/png")) for i in range(5)]
    assert c.post("/enroll", params={"label": "stripes"}, files=files, headers=KEY).status_code == 200
    checks = _png(_pattern("checks", 42))
    assert "checks" not in [x["label"] for x in c.post("/identify?faces=false", content=checks).json()["results"]]

    separate = Recognizer.load(tmp_path / "gallery", write=True)
    separate.enroll("checks", [_pattern("checks", i) for i in range(5)])
    separate.close()
    results = c.post("/identify?faces=false&k=2", content=checks).json()["results"]
    assert [x["label"] for x in results if x["label"] != "unknown"][0] == "checks"
    assert c.get("/labels").json()["labels"] == {"checks": 5, "stripes": 5}

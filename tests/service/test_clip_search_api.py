"""POST /search with a clip (animated GIF, WebP or PNG, or video) instead of a screenshot: answered as
`animeid search CLIP --json` answers it, uploaded or by local path; broken clips are JSON errors."""
from __future__ import annotations

import pytest

from animeid.scenes.clip_search import clip_suffix
from animeid.scenes.index import Index
from tests.scenes.test_clip_search import write_window
from tests.videos import write_apng, write_webp


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    out = {}
    for suffix in (".gif", ".mp4", ".mkv"):   # 1.3 s .. 3.3 s of 'Alpha - 02'
        out[suffix] = folder / f"window{suffix}"
        frames = write_window(out[suffix], 13, 21)
    out[".webp"] = write_webp(folder / "window.webp", frames, lossless=True)   # FFmpeg cannot decode it
    out[".apng"] = write_apng(folder / "window.apng", frames)
    return out


def test_uploads_are_told_apart_by_their_leading_bytes(clips, alpha2_jpeg):
    assert clip_suffix(clips[".gif"].read_bytes()) == ".gif"
    assert clip_suffix(clips[".mp4"].read_bytes()) == ".mp4"
    assert clip_suffix(clips[".mkv"].read_bytes()) == ".mkv"
    assert clip_suffix(clips[".webp"].read_bytes()) == ".webp"
    assert clip_suffix(clips[".apng"].read_bytes()) == ".apng"
    assert clip_suffix(alpha2_jpeg) is None and clip_suffix(b"") is None and clip_suffix(b"GIF89a junk") is None


@pytest.mark.parametrize("suffix", [".gif", ".mp4", ".mkv", ".webp", ".apng"])
def test_a_clip_upload_answers_like_the_library(client, scene_db, clips, suffix):
    expected = Index.load(scene_db).search_clip(clips[suffix], k=2)
    data = clips[suffix].read_bytes()
    for r in (client.post("/search?k=2", files={"image": (f"c{suffix}", data, "application/octet-stream")}),
              client.post("/search?k=2", content=data),
              client.post("/search", params={"k": 2, "url": str(clips[suffix])})):
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["clip"] == expected.summary() and body["error"] is None
        core = [{k: v for k, v in x.items() if k not in ("thumbnail", "video")} for x in body["results"]]
        assert core == [c.to_dict() for c in expected.hits]
        top = body["results"][0]
        assert top["file"] == "Alpha/Alpha - 02.mp4" and abs(top["at"] - 1.3) <= 0.5 and top["frames"] >= 4
        assert f"/preview/{top['id']}?" in top["thumbnail"]


def test_a_screenshot_answer_has_no_clip_key(client, alpha2_jpeg):
    body = client.post("/search?k=1", content=alpha2_jpeg).json()
    assert "clip" not in body and body["results"][0]["title"] == "Alpha"


def test_a_broken_clip_upload_is_a_json_error_naming_no_temporary_file(client, clips):
    data = clips[".mp4"].read_bytes()
    r = client.post("/search", content=data[:40])          # the header of an MP4 and nothing else
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/json")
    message = r.json()["error"]
    assert message.startswith("uploaded clip:") and "/tmp" not in message and "\n" not in message
    # an animated WebP (decoded by Pillow) whose first frame is corrupt
    webp = bytearray(clips[".webp"].read_bytes())
    first = webp.index(b"ANMF")
    webp[first + 60:first + 200] = bytes(140)
    r = client.post("/search", content=bytes(webp))
    assert r.status_code == 400, r.text
    message = r.json()["error"]
    assert message.startswith("uploaded clip: cannot decode") and "/tmp" not in message and "\n" not in message
    r = client.post("/search?title=Nope", content=clips[".gif"].read_bytes())
    assert r.status_code == 400 and "no title 'Nope'" in r.json()["error"]


def test_a_sharded_index_holds_clip_uploads_to_the_service_pixel_limit(make_settings, sharded_scene_db, clips):
    from fastapi.testclient import TestClient

    from animeid.service.app import create_app

    settings = make_settings(db=sharded_scene_db, max_image_pixels=10_000)     # the clips are 192x144
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        r = client.post("/search", content=clips[".gif"].read_bytes())
    assert r.status_code == 400 and "above the 10,000-pixel limit" in r.json()["error"]


def test_an_avif_screenshot_is_a_picture_not_an_mp4_clip(client, scene_library):
    import io

    from PIL import Image, features

    from animeid.media.video import frame_at

    if not features.check("avif"):
        pytest.skip("this Pillow writes no AVIF")
    buf = io.BytesIO()
    Image.fromarray(frame_at(scene_library / "Alpha" / "Alpha - 02.mp4", 2.3)).save(buf, format="AVIF")
    data = buf.getvalue()
    assert data[4:12] == b"ftypavif" and clip_suffix(data) is None
    r = client.post("/search?k=1", content=data)
    assert r.status_code == 200, r.text
    body = r.json()
    assert "clip" not in body and body["results"][0]["file"] == "Alpha/Alpha - 02.mp4"


class RecordingLock:
    """A lock that remembers whether it is held, so a test can see what ran under it."""

    def __init__(self):
        self.held = False

    def __enter__(self):
        self.held = True

    def __exit__(self, *exc):
        self.held = False


def test_a_clip_is_decoded_before_the_index_lock_is_taken(make_settings, clips, monkeypatch):
    import animeid.scenes.clip_search as clip_search
    from animeid.service.backends import Backends

    backends = Backends(make_settings())
    lock, decoded_under_lock = RecordingLock(), []
    backends._store_lock = lock
    real = clip_search.sample_clip

    def watched(*args, **kwargs):
        decoded_under_lock.append(lock.held)
        return real(*args, **kwargs)

    monkeypatch.setattr(clip_search, "sample_clip", watched)
    try:
        for source in (clips[".mp4"], clips[".gif"].read_bytes()):
            answer = backends.search(source, 2, None, True)
            assert answer.hits[0].scene.file == "Alpha/Alpha - 02.mp4"
    finally:
        backends.close()
    assert decoded_under_lock == [False, False]

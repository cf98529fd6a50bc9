"""Every endpoint and its error cases, in-process (FastAPI TestClient)."""
from __future__ import annotations

import io
from urllib.parse import parse_qs, urlparse

import av
import pytest

from animeid.scenes.index import Index
from tests.service.conftest import API_KEY


def _is_json_error(r, status: int, fragment: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["status"] == status and fragment in body["error"] and "\n" not in body["error"]


def test_health_and_titles(client, scene_db):
    h = client.get("/health").json()
    assert h["status"] == "ok"
    # writes (enrol, delete a label) need both a key and a gallery
    assert h["capabilities"] == {"search": True, "identify": False, "genres": False, "writes": False}
    index = Index.load(scene_db)
    assert h["index"]["entries"] == index.store.count_entries() == h["index"]["vectors"]
    titles = client.get("/titles").json()["titles"]
    assert [t["title"] for t in titles] == ["Alpha", "Beta"] and [t["files"] for t in titles] == [2, 1]


def test_search_multipart_raw_and_local_path_answer_like_the_cli(client, scene_db, scene_library, alpha2_jpeg,
                                                                 tmp_path):
    expected = [h.to_dict() for h in Index.load(scene_db).search(alpha2_jpeg, k=3)]
    assert expected[0]["title"] == "Alpha" and expected[0]["episode"] == 2
    shot = tmp_path / "shot.jpg"
    shot.write_bytes(alpha2_jpeg)
    answers = [
        client.post("/search?k=3", files={"image": ("shot.jpg", alpha2_jpeg, "image/jpeg")}),
        client.post("/search?k=3", content=alpha2_jpeg, headers={"content-type": "image/jpeg"}),
        # what `curl --data-binary @shot.jpg` sends: the raw image labelled as a form
        client.post("/search?k=3", content=alpha2_jpeg,
                    headers={"content-type": "application/x-www-form-urlencoded"}),
        client.post("/search", params={"k": 3, "url": str(shot)}),
        client.post("/search", params={"k": 3, "url": shot.as_uri()}),
    ]
    for r in answers:
        assert r.status_code == 200, r.text
        results = r.json()["results"]
        core = [{k: v for k, v in x.items() if k not in ("thumbnail", "video")} for x in results]
        assert core == expected      # exactly what the library (and so `animeid search --json`) answers
        assert abs(core[0]["at"] - 2.3) <= 0.5
        assert all(x["thumbnail"].startswith(f"http://testserver/preview/{x['id']}?") for x in results)
        assert all(f"/preview/{x['id']}/video?" in x["video"] for x in results)


def test_search_options_k_title_and_cut_borders(client, alpha2_jpeg):
    assert len(client.post("/search?k=1", content=alpha2_jpeg).json()["results"]) == 1
    only_beta = client.post("/search?k=3&title=Beta", content=alpha2_jpeg).json()["results"]
    assert only_beta and {r["title"] for r in only_beta} == {"Beta"}
    # a letterboxed copy: with border cutting it still matches as well as the clean frame
    from PIL import Image

    img = Image.open(io.BytesIO(alpha2_jpeg))
    boxed = Image.new("RGB", (img.width, img.height + 60))
    boxed.paste(img, (0, 30))
    buf = io.BytesIO()
    boxed.save(buf, format="PNG")
    cut = client.post("/search?k=1&cutBorders=true", content=buf.getvalue()).json()["results"][0]
    kept = client.post("/search?k=1&cutBorders=false", content=buf.getvalue()).json()["results"][0]
    assert cut["title"] == "Alpha" and cut["episode"] == 2
    assert cut["similarity"] > kept["similarity"]


@pytest.mark.parametrize("kwargs, status, fragment", [
    ({"content": b""}, 400, "no image"),
    ({"content": b"definitely not an image"}, 400, "not a readable image"),
    ({"files": {"image": ("empty.jpg", b"", "image/jpeg")}}, 400, "empty"),
    ({"data": {"note": "no file"}, "files": {}}, 400, "a form was sent, not an image"),
    ({"params": {"url": "https://example.com/a.jpg"}}, 400, "no outgoing requests"),
    ({"params": {"url": "relative/shot.jpg"}}, 400, "absolute"),
    ({"params": {"url": "/nonexistent/shot.jpg"}}, 404, "no such file"),
    ({"params": {"k": 0}, "content": b"x"}, 422, "k:"),
    ({"params": {"k": "many"}, "content": b"x"}, 422, "k:"),
    ({"params": {"title": "Nope"}, "content": b"x"}, 400, "no title 'Nope'"),
])
def test_search_errors_are_clear_json(client, kwargs, status, fragment):
    _is_json_error(client.post("/search", **kwargs), status, fragment)


def test_local_path_that_is_not_an_image(client, scene_library, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")
    _is_json_error(client.post("/search", params={"url": str(notes)}), 400, "not a readable image")
    # a video is no screenshot, but a clip: answered (test_clip_search_api.py), or refused as a video
    broken = tmp_path / "broken.mp4"
    broken.write_bytes((scene_library / "Alpha" / "Alpha - 01.mp4").read_bytes()[:40])
    _is_json_error(client.post("/search", params={"url": str(broken)}), 400, "broken.mp4")


def test_upload_limit_is_413_json(make_settings, alpha2_jpeg):
    from fastapi.testclient import TestClient

    from animeid.service.app import create_app

    with TestClient(create_app(make_settings(max_upload_bytes=64 * 1024))) as c:
        big = b"\xff" * (64 * 1024 + 1)
        _is_json_error(c.post("/search", content=big), 413, "larger than the 64 KB limit")   # was "0 MB"
        _is_json_error(c.post("/search", files={"image": ("big.jpg", big, "image/jpeg")}), 413, "limit")
        assert c.post("/search", content=alpha2_jpeg).status_code == 200  # below the limit still works


def test_default_upload_limit_is_25_mb(client):
    _is_json_error(client.post("/search", content=b"\0" * (25 * 1024 * 1024 + 1)), 413, "25 MB")


def _preview_params(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def test_previews_thumbnail_and_video(client, alpha2_jpeg, make_settings):
    from PIL import Image

    hit = client.post("/search?k=1", content=alpha2_jpeg).json()["results"][0]
    r = client.get(hit["thumbnail"])
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(r.content)).size == (192, 144)   # never upscaled past the video
    assert "max-age" in r.headers["cache-control"]
    v = client.get(hit["video"])
    assert v.status_code == 200 and v.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(v.content)) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264"
        seconds = float(s.duration * s.time_base)
    assert 2.5 <= seconds <= 3.6    # a short scene: padded to the 3 s minimum
    cached = list(make_settings().previews_folder().iterdir())
    assert sorted(p.suffix for p in cached) == [".jpg", ".mp4"]
    assert client.get(hit["video"]).content == v.content       # served from the cache


def test_preview_links_refuse_tampering_expiry_and_unknown_ids(client, alpha2_jpeg, make_settings):
    from animeid.service import signing

    hit = client.post("/search?k=1", content=alpha2_jpeg).json()["results"][0]
    p = _preview_params(hit["video"])
    widened = dict(p, to=str(float(p["to"]) + 60))
    _is_json_error(client.get(f"/preview/{hit['id']}/video", params=widened), 403, "invalid")
    _is_json_error(client.get(f"/preview/{hit['id']}", params=_preview_params(hit["video"])), 403, "invalid")
    _is_json_error(client.get(f"/preview/{hit['id']}"), 422, "invalid request")
    secret = client.app.state.settings.preview_secret
    past = signing.signed_query(secret, hit["id"], "thumbnail", 1.0, 1.0, 1.0, ttl_s=-10)
    _is_json_error(client.get(f"/preview/{hit['id']}?{past}"), 403, "expired")
    missing = signing.signed_query(secret, 999999, "thumbnail", 1.0, 1.0, 1.0, ttl_s=60)
    _is_json_error(client.get(f"/preview/999999?{missing}"), 404, "no scene with id 999999")


@pytest.mark.parametrize("suffix", ["", "/video"])
def test_a_non_ascii_preview_token_is_403_not_500(client, suffix):
    r = client.get(f"/preview/3{suffix}?t=1&from=1&to=1&expires=99999999999&token=%C3%A9")
    _is_json_error(r, 403, "token is invalid")


def test_identify_and_genres_answer_503_when_not_configured(client, alpha2_jpeg):
    _is_json_error(client.post("/identify", content=alpha2_jpeg), 503, "--gallery")
    _is_json_error(client.post("/genres", content=alpha2_jpeg), 503, "--genre-model")


def test_writes_need_the_api_key(client, alpha2_jpeg):
    files = {"images": ("a.jpg", alpha2_jpeg, "image/jpeg")}
    _is_json_error(client.post("/enroll?label=Alice", files=files), 401, "API key")
    _is_json_error(client.post("/enroll?label=Alice", files=files, headers={"X-API-Key": "wrong-key-123"}), 403,
                   "wrong API key")
    _is_json_error(client.delete("/labels/Alice"), 401, "API key")
    _is_json_error(client.delete("/labels/Alice", headers={"Authorization": "Bearer nope-nope-nope"}), 403, "wrong")
    # with the right key (header or bearer) the request gets through to the (missing) gallery
    _is_json_error(client.post("/enroll?label=Alice", files=files, headers={"X-API-Key": API_KEY}), 503, "--gallery")
    _is_json_error(client.delete("/labels/Alice", headers={"Authorization": f"Bearer {API_KEY}"}), 503, "--gallery")
    _is_json_error(client.post("/enroll", params={"label": "a\tb"}, files=files, headers={"X-API-Key": API_KEY}),
                   400, "label")
    _is_json_error(client.post("/enroll", params={"label": " "}, files=files, headers={"X-API-Key": API_KEY}),
                   400, "label")


def test_enroll_without_an_image_gets_its_own_hint(client):
    """/enroll reads no `?url=`: the search endpoints' hint sent people to it."""
    for kwargs in ({}, {"data": {"note": "no file"}, "files": {}}):
        r = client.post("/enroll?label=Alice", headers={"X-API-Key": API_KEY}, **kwargs)
        _is_json_error(r, 400, "multipart file field")
        assert "url" not in r.json()["error"] and "images" in r.json()["error"]
    _is_json_error(client.post("/search", content=b""), 400, "?url=/local/path")   # still offered there


def test_writes_are_disabled_without_a_configured_key(make_settings, alpha2_jpeg, monkeypatch):
    from fastapi.testclient import TestClient

    from animeid.service.app import create_app

    monkeypatch.delenv("ANIMEID_API_KEY", raising=False)
    settings = make_settings(api_key=None)
    assert settings.api_key is None
    with TestClient(create_app(settings)) as c:
        _is_json_error(c.post("/enroll?label=A", content=alpha2_jpeg, headers={"X-API-Key": "anything-at-all"}),
                       403, "writes are disabled")
        assert c.get("/health").json()["capabilities"]["writes"] is False
        assert c.post("/search", content=alpha2_jpeg).status_code == 200   # reads stay open


def test_a_configured_key_with_a_trailing_newline_still_opens_writes(make_settings, alpha2_jpeg):
    from fastapi.testclient import TestClient

    from animeid.service.app import create_app

    with TestClient(create_app(make_settings(api_key=API_KEY + "\n")), raise_server_exceptions=False) as c:
        r = c.post("/enroll?label=A", content=alpha2_jpeg, headers={"X-API-Key": API_KEY})
        _is_json_error(r, 503, "--gallery")     # past the key check, on to the (missing) gallery


def test_page_docs_and_unknown_routes(client):
    page = client.get("/")
    assert page.status_code == 200 and "animeid" in page.text and "/static/app.js" in page.text
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/style.css").headers["content-type"].startswith("text/css")
    docs = client.get("/docs").text
    assert "swagger" in docs.lower()
    if "/docs-assets/" in docs:   # fastapi-offline installed: Swagger UI served locally, no CDN
        assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
        assert "cdn.jsdelivr" not in docs
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/search", "/identify", "/genres", "/titles", "/health", "/preview/{entry_id}",
            "/preview/{entry_id}/video", "/enroll", "/labels/{label}"} <= set(paths)
    _is_json_error(client.get("/no/such/page"), 404, "Not Found")
    _is_json_error(client.get("/search"), 405, "Method Not Allowed")


def test_get_routes_answer_head_for_uptime_checkers(client, alpha2_jpeg):
    hit = client.post("/search?k=1", content=alpha2_jpeg).json()["results"][0]
    for path in ["/", "/health", "/titles", "/openapi.json", "/docs", "/static/app.js", hit["thumbnail"]]:
        get, head = client.get(path), client.head(path)
        assert head.status_code == 200 == get.status_code, path
        assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"], path
    assert client.head("/search").status_code == 405          # HEAD only where GET is answered
    paths = client.get("/openapi.json").json()["paths"]
    assert all("head" not in ops for ops in paths.values())   # not listed twice in the API docs


def test_local_paths_can_be_disabled_or_confined(make_settings, scene_library, alpha2_jpeg, tmp_path):
    from fastapi.testclient import TestClient

    from animeid.service.app import create_app
    from animeid.service.run import _is_loopback

    inside = tmp_path / "shots" / "a.jpg"
    inside.parent.mkdir()
    inside.write_bytes(alpha2_jpeg)
    outside = tmp_path / "b.jpg"
    outside.write_bytes(alpha2_jpeg)
    with TestClient(create_app(make_settings(allow_local_paths=False))) as c:
        _is_json_error(c.post("/search", params={"url": str(inside)}), 403, "disabled")
    with TestClient(create_app(make_settings(local_url_roots=[str(inside.parent)]))) as c:
        assert c.post("/search", params={"url": str(inside)}).status_code == 200
        _is_json_error(c.post("/search", params={"url": str(outside)}), 403, "outside")
        _is_json_error(c.post("/search", params={"url": str(inside.parent / ".." / "b.jpg")}), 403, "outside")
    assert _is_loopback("127.0.0.1") and _is_loopback("::1") and _is_loopback("localhost")
    assert not _is_loopback("0.0.0.0") and not _is_loopback("example.org")


def test_a_bug_is_a_json_500_without_traceback(make_settings, alpha2_jpeg):
    from fastapi.testclient import TestClient

    from animeid.service.app import create_app
    from animeid.service.backends import Backends

    settings = make_settings()
    backends = Backends(settings)

    def broken(*args):
        raise KeyError("internal detail")

    backends.search = broken
    with TestClient(create_app(settings, backends), raise_server_exceptions=False) as c:
        r = c.post("/search", content=alpha2_jpeg)
    _is_json_error(r, 500, "internal error (KeyError)")
    assert "Traceback" not in r.text and "internal detail" not in r.text


def test_a_real_form_is_told_to_use_the_query_string(client, tmp_path):
    """`curl -d url=/x.jpg` sends a form: its fields are not read, and the answer says where they go."""
    r = client.post("/search", content=b"url=%2Ftmp%2Fx.jpg&k=3",
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and "a form was sent, not an image" in r.json()["error"]
    assert "?url=/local/path (as a query parameter)" in r.json()["error"]


def test_two_files_to_a_one_image_endpoint_are_refused(client, alpha2_jpeg):
    """Only the first was answered (200), as if it were the answer for both."""
    files = [("image", ("a.jpg", alpha2_jpeg, "image/jpeg")), ("image", ("b.jpg", alpha2_jpeg, "image/jpeg"))]
    for route in ("/search", "/genres", "/identify"):
        r = client.post(route, files=files)
        if route != "/search" and r.status_code in (404, 503):   # no genre model or gallery behind it here
            continue
        assert r.status_code == 400, (route, r.text)
        assert "2 files sent; this endpoint answers one image per request" in r.json()["error"]

"""The HTTP routes. Everything heavy happens in `Backends` on the bounded worker pool; this file
only maps requests to it and answers JSON. (No `from __future__ import annotations` here: FastAPI
reads the route signatures at run time, and they use `create_app`'s locals.)"""

import hmac
import re
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from animeid.service import signing
from animeid.service.api_error import ApiError
from animeid.service.backends import Backends
from animeid.service.body_limit import BodyLimit
from animeid.service.host_check import LoopbackHostOnly
from animeid.service.http_errors import install_error_handlers
from animeid.service.settings import ServiceSettings
from animeid.service.uploads import read_image, read_images
from animeid.service.worker_pool import WorkerPool

STATIC = files("animeid.service") / "static"
IMAGE_BODY = {"requestBody": {"content": {
    "multipart/form-data": {"schema": {"type": "object", "properties": {"image": {"type": "string",
                                                                                  "format": "binary"}}}},
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
    "image/*": {"schema": {"type": "string", "format": "binary"}}}, "required": False}}
ENROLL_BODY = {"requestBody": {"content": {
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "images": {"type": "array", "items": {"type": "string", "format": "binary"}}}}}}, "required": True}}
LABEL = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")
URL_HELP = "absolute path of an image on the server's disk (web URLs are refused)"


def create_app(settings: ServiceSettings, backends: Backends | None = None) -> FastAPI:
    backends = backends or Backends(settings)
    pool = WorkerPool(settings.workers, settings.queue_limit)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await pool.run(backends.warm_up)
        yield
        pool.shutdown()
        backends.close()

    docs_assets = _offline_docs_assets()
    app = FastAPI(title="animeid", summary="What anime is this picture from? Scene search, characters, genres.",
                  version=_version(), lifespan=lifespan, docs_url=None if docs_assets else "/docs")
    app.state.backends, app.state.pool, app.state.settings = backends, pool, settings
    # Uploads are read (under a deadline) before a request queues for a worker; this budget of
    # bytes held caps their memory at what `workers + queue_limit` full-size uploads would take.
    app.add_middleware(BodyLimit, max_bytes=settings.max_upload_bytes,
                       max_held_bytes=(settings.workers + settings.queue_limit) * settings.max_upload_bytes)
    if settings.check_host:
        app.add_middleware(LoopbackHostOnly, allowed_hosts=settings.allowed_hosts)
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    if docs_assets:
        app.mount("/docs-assets", StaticFiles(directory=docs_assets), name="docs-assets")

        @app.get("/docs", include_in_schema=False)
        async def docs():
            return get_swagger_ui_html(openapi_url="/openapi.json", title="animeid API",
                                       swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                       swagger_css_url="/docs-assets/swagger-ui.css",
                                       swagger_favicon_url="/docs-assets/favicon.png")

    def require_api_key(request: Request) -> None:
        if settings.api_key is None:
            raise ApiError(403, "writes are disabled on this server: no API key configured (set ANIMEID_API_KEY)")
        given = request.headers.get("x-api-key") or _bearer(request.headers.get("authorization", ""))
        if not given:
            raise ApiError(401, "this endpoint writes and needs the API key (header X-API-Key)",
                           {"WWW-Authenticate": "Bearer"})
        if not hmac.compare_digest(given.encode(), settings.api_key.encode()):
            raise ApiError(403, "wrong API key")

    def preview_links(request: Request, hit) -> dict:
        base = str(request.base_url).rstrip("/")
        out = {}
        for kind, suffix in (("thumbnail", ""), ("video", "/video")):
            q = signing.signed_query(settings.preview_secret, hit.entry_id, kind, hit.at, hit.from_, hit.to,
                                     settings.preview_ttl_s)
            out[kind] = f"{base}/preview/{hit.entry_id}{suffix}?{q}"
        return out

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page():
        return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8"))

    @app.get("/health", summary="Liveness, what this server can do, and the worker pool's load")
    def health():   # plain functions run on FastAPI's thread pool: SQLite and a reopened index stay off the event loop
        # limits: so the web page offers no more results than /search takes, and refuses a file
        # over the upload limit itself rather than send it three times to be answered 413
        return {**backends.health(), "pool": pool.stats(),
                "limits": {"max_k": settings.max_k, "max_upload_bytes": settings.max_upload_bytes}}

    @app.get("/titles", summary="Titles in the scene index, with files, entries and seconds indexed")
    def titles():
        return {"titles": backends.titles()}

    @app.post("/search", summary="Find title, episode and second of a screenshot, or where a clip (animated GIF, WebP or PNG, or a video) starts",
              openapi_extra=IMAGE_BODY)
    async def search(request: Request,
                     k: Annotated[int, Query(ge=1, le=settings.max_k, description="scenes to return")] = 5,
                     cut_borders: Annotated[bool, Query(alias="cutBorders",
                                                        description="trim black borders first")] = True,
                     title: Annotated[str | None, Query(description="only answer with this title")] = None,
                     url: Annotated[str | None, Query(description=URL_HELP)] = None):
        image = await read_image(request, url, settings)
        async with pool.ticket():
            found = await pool.run(backends.search, image, k, title, cut_borders)
        if isinstance(found, list):
            return {"results": [{**h.to_dict(), **preview_links(request, h)} for h in found], "error": None}
        # a clip: its start in each result, with the frames that agree, and what was sampled
        return {"results": [{**c.to_dict(), **preview_links(request, c.scene)} for c in found.hits],
                "clip": found.summary(), "error": None}

    @app.post("/identify", summary="Which characters are in the picture (per face)", openapi_extra=IMAGE_BODY)
    async def identify(request: Request,
                       faces: Annotated[bool, Query(description="detect faces and answer per face")] = True,
                       k: Annotated[int, Query(ge=1, le=20, description="labels per answer")] = 5,
                       url: Annotated[str | None, Query(description=URL_HELP)] = None):
        image = await read_image(request, url, settings)
        async with pool.ticket():
            return await pool.run(backends.identify, image, faces, k)

    @app.get("/labels", summary="Characters in the gallery, with their number of images")
    async def labels():
        return await pool.run(backends.labels)

    @app.post("/genres", summary="Predicted genres of a poster or key art", openapi_extra=IMAGE_BODY)
    async def genres(request: Request, url: Annotated[str | None, Query(description=URL_HELP)] = None):
        image = await read_image(request, url, settings)
        async with pool.ticket():
            return await pool.run(backends.genres, image)

    @app.get("/preview/{entry_id}", summary="JPEG at the matched second (signed link from /search)",
             response_class=FileResponse)
    async def preview_image(entry_id: int, t: float, expires: int, token: str,
                            t_from: Annotated[float, Query(alias="from")], t_to: Annotated[float, Query(alias="to")]):
        _check_link(settings, entry_id, "thumbnail", t, t_from, t_to, expires, token)
        async with pool.ticket():
            path = await pool.run(backends.thumbnail, entry_id, t)
        return FileResponse(path, media_type="image/jpeg", headers=_cache_headers(settings))

    @app.get("/preview/{entry_id}/video", summary="Short muted MP4 of the matched scene (signed link from /search)",
             response_class=FileResponse)
    async def preview_video(entry_id: int, t: float, expires: int, token: str,
                            t_from: Annotated[float, Query(alias="from")], t_to: Annotated[float, Query(alias="to")]):
        _check_link(settings, entry_id, "video", t, t_from, t_to, expires, token)
        async with pool.ticket():
            path = await pool.run(backends.scene_clip, entry_id, t, t_from, t_to)
        return FileResponse(path, media_type="video/mp4", headers=_cache_headers(settings))

    @app.post("/enroll", summary="Add pictures of a character to the gallery (API key)",
              dependencies=[Depends(require_api_key)], openapi_extra=ENROLL_BODY)
    async def enroll(request: Request, label: Annotated[str, Query(description="character name")]):
        _check_label(label)
        images = await read_images(request, None, settings, many=True)
        async with pool.ticket():
            return await pool.run(backends.enroll, label, images)

    @app.delete("/labels/{label:path}", summary="Remove a character from the gallery (API key)",
                dependencies=[Depends(require_api_key)])
    async def delete_label(label: str):
        _check_label(label)
        async with pool.ticket():
            return await pool.run(backends.delete_label, label)

    _answer_head_like_get(app)
    return app


def _answer_head_like_get(app: FastAPI) -> None:
    """HEAD on every GET route (uptime checkers send HEAD; FastAPI answers it 405): the same
    endpoint, whose body the server drops. Kept out of the OpenAPI schema, where each route would
    otherwise be listed twice under one operation id."""
    for route in list(app.routes):
        if isinstance(route, APIRoute) and "GET" in route.methods:
            app.add_api_route(route.path, route.endpoint, methods=["HEAD"], include_in_schema=False,
                              response_class=route.response_class, dependencies=route.dependencies)


def _check_link(settings: ServiceSettings, entry_id: int, kind: str, t: float, t_from: float, t_to: float,
                expires: int, token: str) -> None:
    problem = signing.check(settings.preview_secret, entry_id, kind, t, t_from, t_to, expires, token)
    if problem:
        raise ApiError(403, problem)


def _check_label(label: str) -> None:
    if not LABEL.match(label) or not label.strip():
        raise ApiError(400, "label must be 1-200 characters of text, without control characters")


def _cache_headers(settings: ServiceSettings) -> dict[str, str]:
    return {"Cache-Control": f"private, max-age={settings.preview_ttl_s}"}


def _bearer(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _offline_docs_assets() -> str | None:
    """Swagger UI's files from the `fastapi-offline` package, so /docs works without internet;
    without the package FastAPI's default page (which loads them from a CDN) is used."""
    import importlib.util

    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or not spec.origin:
        return None
    folder = Path(spec.origin).parent / "static"
    return str(folder) if (folder / "swagger-ui-bundle.js").exists() else None


def _version() -> str:
    from animeid import __version__

    return __version__

"""Where a request's image comes from: a multipart file, the raw body, or `?url=` naming a file on
the server's own disk. The server makes no outgoing requests, so web URLs are refused."""
from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import unquote, urlparse

from fastapi import Request
from starlette.datastructures import UploadFile

from animeid.service.api_error import ApiError
from animeid.service.body_limit import size_text
from animeid.service.settings import ServiceSettings

# How to send what an endpoint reads, for the 400 when nothing usable came: /enroll (`many`) takes
# several pictures and no ?url=, so the search endpoints' hint would send people astray there.
SEND_IMAGE = "send a multipart file field (e.g. 'image'), the image as the raw body, or ?url=/local/path"
SEND_IMAGES = "send the pictures as multipart file fields (e.g. 'images'), or one picture as the raw body"


def local_path(url: str, settings: ServiceSettings) -> Path:
    if not settings.allow_local_paths:
        raise ApiError(403, "?url= is disabled on this server (not on loopback and no local_url_roots configured); "
                            "upload the image instead")
    parsed = urlparse(url)
    if parsed.scheme and parsed.scheme not in ("file",) and len(parsed.scheme) > 1:
        raise ApiError(400, f"?url= must be a local file path; this server makes no outgoing requests "
                            f"({parsed.scheme}:// refused)")
    if parsed.scheme == "file" and parsed.netloc not in ("", "localhost"):
        # file://etc/passwd names the host "etc": its path alone would read /passwd
        raise ApiError(400, f"?url= {url[:200]!r}: a file:// URL on another host ({parsed.netloc!r}); "
                            "give file:///absolute/path or the path itself")
    try:
        # no `~` expansion: that is the shell's, and `~/x` is no more absolute than `x`
        path = Path(unquote(parsed.path) if parsed.scheme == "file" else url)
        if not path.is_absolute():
            raise ApiError(400, f"?url= must be an absolute local path, got {url!r}")
        path = path.resolve()
        if settings.local_url_roots and not any(path.is_relative_to(root) for root in settings.local_url_roots):
            raise ApiError(403, f"{path}: outside the folders this server may read")
        if not path.exists():
            raise ApiError(404, f"{path}: no such file")
        # a folder, a named pipe (reading it would block a worker forever), a device...
        if not path.is_file():
            raise ApiError(400, f"{path}: not a regular file")
        size = path.stat().st_size
    except (ValueError, OSError, RuntimeError) as exc:
        # embedded null byte, a name too long, a symlink loop, no permission...
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ApiError(400, f"?url= {url[:200]!r} cannot be used as a path ({reason})") from None
    if size > settings.max_upload_bytes:
        raise ApiError(413, f"{path}: larger than the {size_text(settings.max_upload_bytes)} limit")
    return path


async def read_images(request: Request, url: str | None, settings: ServiceSettings,
                      many: bool = False) -> list[bytes | Path]:
    """The request's image(s); a single one unless `many` (/enroll's pictures; the 400 for none
    then says how to send several, and no `url` is taken). Raises 400 when there is none, and 408
    when the upload has not fully arrived within `settings.upload_timeout_s`: callers read it
    before queueing for a worker, and the deadline keeps a trickling client from holding even its
    connection for long."""
    try:
        return await asyncio.wait_for(_read_images(request, url, settings, many), settings.upload_timeout_s)
    except TimeoutError:
        raise ApiError(408, f"the upload did not arrive within {settings.upload_timeout_s:g} s; send it again",
                       {"Connection": "close"}) from None


async def _read_images(request: Request, url: str | None, settings: ServiceSettings,
                       many: bool) -> list[bytes | Path]:
    if url:
        return [local_path(url, settings)]
    how = SEND_IMAGES if many else SEND_IMAGE
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=64 if many else 4)
        files = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
        if not files:
            raise ApiError(400, f"no image: {how}")
        if len(files) > 1 and not many:   # answering the first alone looked like an answer for all
            raise ApiError(400, f"{len(files)} files sent; this endpoint answers one image per request "
                                "(send each in its own request)")
        out = []
        for f in files:
            data = await f.read()
            if not data:
                raise ApiError(400, f"uploaded file {f.filename or ''!r} is empty (0 bytes)")
            out.append(data)
        return out
    body = await request.body()
    if not body:
        raise ApiError(400, f"no image: {how}")
    if content_type.startswith("application/x-www-form-urlencoded") and _looks_like_form(body):
        # `curl -d url=/x.jpg`: form fields are not read, and decoding them as an image would only
        # say "not a readable image"
        raise ApiError(400, f"a form was sent, not an image; {how}" + ("" if many else " (as a query parameter)"))
    # `curl --data-binary @shot.jpg` labels the raw bytes as a form: they are still the image
    return [body]


def _looks_like_form(body: bytes) -> bool:
    """Printable ASCII with a `name=value` in it: what a form encodes to. Image and video files
    start with binary magic bytes (PNG, JPEG, GIF, WebP, MP4...), so they never look like this."""
    head = body[:512]
    return b"=" in head and all(32 <= b < 127 for b in head)


async def read_image(request: Request, url: str | None, settings: ServiceSettings) -> bytes | Path:
    return (await read_images(request, url, settings))[0]

"""Every failure answers JSON `{"error": "...", "status": N}` with one line a person can act on;
never an HTML page or a traceback (those go to the server log only, once each)."""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from animeid.errors import AnimeidError
from animeid.service.api_error import ApiError
from animeid.service.body_limit import BodyTooLarge
from animeid.service.response_start import ResponseStart
from animeid.service.worker_pool import ServerBusy

log = logging.getLogger("animeid.service")


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(x) for x in err.get("loc", ()) if x not in ("query", "path", "body"))
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else err.get("msg", "invalid"))
    return "invalid request: " + "; ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError):
        return error_response(exc.status, exc.message, exc.headers)

    @app.exception_handler(AnimeidError)
    async def _user(request: Request, exc: AnimeidError):
        return error_response(400, str(exc))

    @app.exception_handler(ServerBusy)
    async def _busy(request: Request, exc: ServerBusy):
        return error_response(503, str(exc), {"Retry-After": "1"})

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge):
        return error_response(413, str(exc), {"Connection": "close"})

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        return error_response(422, _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return error_response(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, exc: ClientDisconnect):
        # the client's doing, not a bug: one line, and an answer nobody is left to read
        log.warning("%s %s: the client closed the connection before its upload arrived", request.method,
                    request.url.path)
        return error_response(400, "the connection closed before the upload arrived")

    # Last, so it wraps every other middleware: only Starlette's own ServerErrorMiddleware is outside.
    app.add_middleware(AnswerBugs)


class AnswerBugs:
    """Any other exception is a bug: logged once with its traceback, answered 500 JSON. Not an
    `exception_handler(Exception)`: Starlette runs that one in ServerErrorMiddleware, which then
    re-raises, and uvicorn logged every bug a second time ("Exception in ASGI application")."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        response_start = ResponseStart(send)
        try:
            await self.app(scope, receive, response_start)
        except Exception as exc:
            if response_start.started:
                raise   # too late for an answer: uvicorn logs it (once) and drops the connection
            log.exception("unexpected error on %s %s", scope["method"], scope["path"])
            response = error_response(500, f"internal error ({type(exc).__name__}); see the server log")
            await response(scope, receive, send)

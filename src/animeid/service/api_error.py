"""Errors that become JSON answers with a status code. Anything raised as an `AnimeidError` is the
user's input (400); these carry the other statuses the API needs."""
from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def not_configured(what: str, option: str) -> ApiError:
    return ApiError(503, f"{what} is not configured on this server; start it with `animeid serve {option} DIR`")


def not_found(message: str) -> ApiError:
    return ApiError(404, message)

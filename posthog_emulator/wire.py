"""What every emulator handler shares about the wire: the result shape, JSON in and out.

Handlers return ``(status, body, headers)`` (``Result``); the app encodes the body with ``dumps``
and an ``ApiError`` with ``error_result``, and writes the status line with ``status_line``.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request

from .errors import ApiError

__all__ = [
    "WRITE_METHODS",
    "Body",
    "Result",
    "dumps",
    "error_result",
    "json_body",
    "status_line",
]

Body = Any
Result = tuple[int, Body, dict[str, str]]

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def json_body(request: Request) -> Any:
    """The request's JSON body (``{}`` when empty); DRF's parse error when it is not JSON."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, "invalid_request", "parse_error", f"JSON parse error - {exc}") from None


def dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), default=str).encode()


def error_result(exc: ApiError) -> tuple[int, bytes, dict[str, str]]:
    return exc.status, dumps(exc.body()), dict(exc.headers)


_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def status_line(status: int) -> str:
    return f"{status} {_REASONS.get(status, 'Unknown')}"

"""PostHog-shaped error responses: the ``{type, code, detail, attr}`` body of drf-exceptions-hog.

Handlers raise ``ApiError`` (or ``EmptyResponse`` for the bodiless answers PostHog gives, such as
405 on a soft-delete model); the app turns them into HTTP responses in one place.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "ApiError",
    "EmptyResponse",
    "endpoint_not_found",
    "method_not_allowed",
    "not_found",
    "permission_denied",
    "validation_error",
]


class ApiError(Exception):
    """An error PostHog reports with its standard JSON body."""

    def __init__(
        self,
        status: int,
        type_: str,
        code: str,
        detail: str,
        attr: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.type = type_
        # drf-exceptions-hog rewrites DRF's generic "invalid" code.
        self.code = "invalid_input" if code == "invalid" else code
        self.detail = detail
        self.attr = attr
        self.headers = dict(headers or {})

    def body(self) -> dict[str, str | None]:
        return {"type": self.type, "code": self.code, "detail": self.detail, "attr": self.attr}


class EmptyResponse(Exception):
    """A bodiless response (405 on DELETE of soft-delete models, 202 on person updates)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def not_found(detail: str = "Not found.") -> ApiError:
    return ApiError(404, "invalid_request", "not_found", detail)


def endpoint_not_found() -> ApiError:
    return not_found("Endpoint not found.")


def method_not_allowed(method: str, detail: str | None = None) -> ApiError:
    return ApiError(
        405,
        "invalid_request",
        "method_not_allowed",
        detail or f'Method "{method}" not allowed.',
    )


def validation_error(
    detail: str, *, code: str = "invalid_input", attr: str | None = None
) -> ApiError:
    return ApiError(400, "validation_error", code, detail, attr)


def permission_denied(detail: str) -> ApiError:
    return ApiError(403, "authentication_error", "permission_denied", detail)

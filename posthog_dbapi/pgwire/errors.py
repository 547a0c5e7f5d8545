"""PEP 249 errors as PostgreSQL ErrorResponse fields, with SQLSTATE codes clients understand.

The package's exception tree maps onto SQLSTATE classes: a ``ProgrammingError`` is a syntax
error (42601), an unknown table (42P01) or column (42703); ``DataError`` 22000;
``IntegrityError`` 23000; ``NotSupportedError`` 0A000; PostHog refusing the key 28000 (at
login 28P01), missing scopes 42501, rate limits 53400, PostHog unreachable 08006, a cancelled
statement 57014. The suggestion goes in the HINT field, so psql and JDBC show it.
"""

from __future__ import annotations

from posthog_dbapi.exceptions import (
    AuthenticationError,
    ConnectionError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    NotSupportedError,
    ObjectNotFoundError,
    OperationalError,
    PermissionDeniedError,
    ProgrammingError,
    RateLimitError,
    TimeoutError,
    ValidationError,
)
from posthog_dbapi.pgwire.guard import TooManyStatements

__all__ = ["QueryCanceled", "error_fields", "sqlstate"]


class QueryCanceled(OperationalError):
    """The client cancelled the running statement (CancelRequest)."""


def sqlstate(exc: BaseException) -> str:
    """The SQLSTATE for ``exc``."""
    if isinstance(exc, QueryCanceled):
        return "57014"
    if isinstance(exc, TooManyStatements):
        return "53300"
    if isinstance(exc, PermissionDeniedError):
        return "42501"
    if isinstance(exc, AuthenticationError):
        return "28000"
    if isinstance(exc, RateLimitError):
        return "53400"
    if isinstance(exc, TimeoutError):
        return "57014"
    if isinstance(exc, ConnectionError):
        return "08006"
    if isinstance(exc, ValidationError):
        return "22023"
    if isinstance(exc, ObjectNotFoundError):
        return "42704"
    if isinstance(exc, NotSupportedError):
        return "0A000"
    if isinstance(exc, ProgrammingError):
        message = str(getattr(exc, "message", exc)).lower()
        if "no such table" in message or ("relation" in message and "does not exist" in message):
            return "42P01"
        if "no such column" in message or "has no column" in message:
            return "42703"
        if "syntax" in message or "parse" in message or "incomplete input" in message:
            return "42601"
        if "no such function" in message:
            return "42883"
        return "42000"
    if isinstance(exc, DataError):
        return "22000"
    if isinstance(exc, IntegrityError):
        return "23000"
    if isinstance(exc, InterfaceError):
        return "08003"
    if isinstance(exc, OperationalError):
        return "58000"
    return "XX000"


def error_fields(exc: BaseException, *, severity: str = "ERROR") -> dict[str, str]:
    """ErrorResponse fields: severity, SQLSTATE, message and the suggestion as a hint."""
    message = exc.message if isinstance(exc, Error) else str(exc) or type(exc).__name__
    fields = {"S": severity, "V": severity, "C": sqlstate(exc), "M": message}
    if isinstance(exc, Error) and exc.suggestion and exc.suggestion != exc.default_suggestion:
        fields["H"] = exc.suggestion
    return fields

"""The one exception tree of posthog_dbapi.

PEP 249 names the classes (``Error``, ``DatabaseError``, ``OperationalError``, ...); the driver's
errors, named as in the seed spec (``AuthenticationError``, ``RateLimitError``, ...), subclass the
PEP 249 class a DB-API user would expect to catch. Every error carries:

- ``message``: one sentence that says what went wrong;
- ``details``: a dict with at least ``suggestion`` (how to fix it) and any context;
- ``status``: the HTTP status when PostHog answered, else ``None``;
- ``code``: PostHog's error ``code`` (``"not_found"``, ``"throttled"``, ...) when it sent one.

This module knows nothing of HTTP libraries or SQL. Messages and details must never contain the
API key; the driver scrubs what it passes in.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthenticationError",
    "ConnectionError",
    "DataError",
    "DatabaseError",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "MalformedResponseError",
    "NotSupportedError",
    "ObjectNotFoundError",
    "OperationalError",
    "PartialWriteError",
    "PermissionDeniedError",
    "PostHogServerError",
    "ProgrammingError",
    "RateLimitError",
    "TimeoutError",
    "ValidationError",
    "Warning",
]


class Warning(Exception):
    """PEP 249 ``Warning``: an important warning, such as data truncation."""


class Error(Exception):
    """Base of every error this package raises (PEP 249 ``Error``)."""

    default_suggestion = "Run with debug=True to log each request and response."

    def __init__(
        self,
        message: str,
        details: dict[str, Any] | None = None,
        *,
        status: int | None = None,
        code: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})
        if suggestion is not None:
            self.details["suggestion"] = suggestion
        self.details.setdefault("suggestion", self.default_suggestion)
        self.status = status
        self.code = code

    @property
    def suggestion(self) -> str:
        return str(self.details.get("suggestion", ""))

    def __str__(self) -> str:
        suggestion = self.details.get("suggestion")
        if suggestion and suggestion != self.default_suggestion:
            return f"{self.message} ({suggestion})"
        return self.message

    def __repr__(self) -> str:
        parts = [repr(self.message)]
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.code is not None:
            parts.append(f"code={self.code!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


class InterfaceError(Error):
    """The interface was misused: a closed connection or cursor, a bad argument."""


class DatabaseError(Error):
    """An error reported by PostHog or by the SQL engine."""


class DataError(DatabaseError):
    """A value has the wrong type, is out of range, or cannot be converted."""


class OperationalError(DatabaseError):
    """The request could not be completed: network, authentication, rate limits, server faults."""


class IntegrityError(DatabaseError):
    """A write conflicted with existing data (HTTP 409)."""


class InternalError(DatabaseError):
    """An internal inconsistency, in PostHog or in this package."""


class ProgrammingError(DatabaseError):
    """The request itself is wrong: bad SQL, an unknown table or column, an invalid limit."""


class NotSupportedError(DatabaseError):
    """PostHog does not offer the operation (a write to events, DELETE on persons, rollback)."""


# --- the driver's errors (the seed spec's names) -------------------------------------------------


class AuthenticationError(OperationalError):
    """The API key is missing, invalid, or not allowed to do this."""

    default_suggestion = (
        "Set POSTHOG_API_KEY (or pass api_key=) to a personal API key from "
        "Account settings > Personal API keys, with the scopes this call needs."
    )


class PermissionDeniedError(AuthenticationError):
    """The key is valid but lacks a scope or access to the project (HTTP 403)."""

    default_suggestion = (
        "Give the personal API key the scope named in the message, or access to this project, "
        "in Account settings > Personal API keys."
    )


class RateLimitError(OperationalError):
    """PostHog answered 429 more often than the retry policy allows; ``details['retry_after']``."""

    default_suggestion = (
        "Wait for details['retry_after'] seconds, raise max_retries, or spread the work out; "
        "PostHog limits personal API keys per minute and per hour."
    )


class ConnectionError(OperationalError):
    """PostHog could not be reached."""

    default_suggestion = (
        "Check the API URL (https://us.posthog.com, https://eu.posthog.com or your own host), "
        "your network, and any proxy or firewall."
    )


class TimeoutError(OperationalError):
    """PostHog did not answer within the timeout."""

    default_suggestion = "Raise timeout= (seconds), or narrow the request."


class PostHogServerError(OperationalError):
    """PostHog answered with a server error (5xx) after every retry."""

    default_suggestion = "Try again later; if it persists, check https://status.posthog.com."


class MalformedResponseError(OperationalError):
    """PostHog's answer was not what its API promises (not JSON, missing fields, wrong types)."""

    default_suggestion = (
        "A proxy or load balancer may be answering instead of PostHog; check the API URL."
    )


class ObjectNotFoundError(ProgrammingError):
    """A resource type, record, table or endpoint does not exist."""

    default_suggestion = "Call list_objects() to see the resource types this driver knows."


class ValidationError(ProgrammingError):
    """PostHog refused the request as invalid (HTTP 400), or a limit or argument is out of range."""

    default_suggestion = "Fix the field named in details['attr'] and try again."


class PartialWriteError(OperationalError):
    """A statement that writes several rows stopped part-way.

    ``details['applied']`` lists the ids of the rows already written; ``details['failed']`` names
    the row that failed. Nothing else was changed.
    """

    default_suggestion = (
        "The rows in details['applied'] were written; fix the cause and repeat the statement "
        "for the remaining rows only."
    )

"""The PEP 249 module surface: ``connect()``, the module globals, exceptions and type objects.

- ``apilevel = "2.0"``.
- ``threadsafety = 1``: threads may share the module but not a connection. A connection's
  statement caches and its SQLite database are not guarded for concurrent statements; open one
  connection per thread.
- ``paramstyle = "qmark"``: ``WHERE id = ?``. SQLAlchemy's SQLite compiler emits it, SQLite binds
  it natively, and the HogQL translator numbers the placeholders into the Query API's ``values``.
  A mapping of parameters also works with SQLite's ``:name`` placeholders.

Writes are applied by PostHog as each statement runs: ``commit()`` has nothing to do and
``rollback()`` raises ``NotSupportedError``.
"""

from __future__ import annotations

import inspect
import os
from typing import Any

import apsw

from posthog_dbapi.dbapi.connection import (
    Connection,
    check_hogql_flag,
    check_pushdown_mode,
    check_query_timeout,
    check_statement_timeout,
)
from posthog_dbapi.dbapi.cursor import Cursor
from posthog_dbapi.driver import PostHogDriver
from posthog_dbapi.exceptions import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,
)
from posthog_dbapi.sql.cost import check_max_queries
from posthog_dbapi.types import (
    BINARY,
    DATETIME,
    NUMBER,
    ROWID,
    STRING,
    Binary,
    Date,
    DateFromTicks,
    Time,
    TimeFromTicks,
    Timestamp,
    TimestampFromTicks,
)

__all__ = [
    "BINARY",
    "DATETIME",
    "NUMBER",
    "ROWID",
    "STRING",
    "Binary",
    "Connection",
    "Cursor",
    "DataError",
    "DatabaseError",
    "Date",
    "DateFromTicks",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "Time",
    "TimeFromTicks",
    "Timestamp",
    "TimestampFromTicks",
    "Warning",
    "apilevel",
    "connect",
    "paramstyle",
    "threadsafety",
]

# SQLAlchemy's SQLite dialect reads this from the DB-API module: the SQLite that runs the SQL.
sqlite_version_info: tuple[int, ...] = tuple(
    int(part) for part in apsw.sqlite_lib_version().split(".")
)

apilevel = "2.0"
threadsafety = 1
paramstyle = "qmark"

_CONNECTION_OPTIONS = ("pushdown", "hogql", "query_timeout", "statement_timeout", "max_queries")
# Every keyword PostHogDriver takes, read from its signature so the two cannot drift apart.
_DRIVER_OPTIONS = frozenset(
    name
    for name, parameter in inspect.signature(PostHogDriver.__init__).parameters.items()
    if name not in ("self", "api_url", "api_key", "project_id")
    and parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
)


def _check_options(options: dict[str, Any], *, with_driver: bool) -> None:
    """Refuse, before any request, an option ``connect()`` would otherwise pass on blindly."""
    unknown = sorted(set(options) - _DRIVER_OPTIONS)
    known = sorted({*_DRIVER_OPTIONS, *_CONNECTION_OPTIONS, "driver"})
    if unknown:
        raise InterfaceError(
            f"connect() got unknown option(s): {', '.join(unknown)}",
            {"unknown": unknown, "known": known},
            suggestion=f"Known options: {', '.join(known)}.",
        )
    if with_driver and options:
        given = sorted(options)
        raise InterfaceError(
            f"connect(driver=...) uses the driver as it is; {', '.join(given)} would be ignored",
            {"ignored": given},
            suggestion="Set these options when creating the PostHogDriver, or leave driver= out.",
        )


def connect(
    api_url: str | None = None,
    api_key: str | None = None,
    project_id: str | int | None = None,
    **options: Any,
) -> Connection:
    """A connection on which every PostHog resource is a table.

    Missing values come from ``POSTHOG_API_URL``, ``POSTHOG_API_KEY`` and ``POSTHOG_PROJECT_ID``.
    ``pushdown="auto"|"off"|"required"`` chooses how SELECTs over event tables run (as one
    HogQL query inside PostHog when they translate exactly); ``hogql=True`` sends statements
    verbatim to the Query API as HogQL, with parameters as its ``values``; ``query_timeout``
    (seconds) cancels a Query API query inside PostHog when it runs longer;
    ``statement_timeout`` (seconds of work, default 600, 0 for none) stops any statement that
    runs longer, local evaluation included (see ``posthog_dbapi.dbapi.sandbox``);
    ``max_queries`` (default 10, 0 for any) refuses, before sending anything, a statement
    expected to need more Query API requests; ``query_cache_ttl`` (seconds, default 60, 0 off)
    reuses an identical query's answer.
    Other keyword arguments go to ``PostHogDriver`` (``timeout``, ``max_retries``, ``verify``,
    ...). ``driver=`` uses an existing ``PostHogDriver`` instead; the connection then leaves it
    open on ``close()``.
    """
    connection_options = {
        name: options.pop(name) for name in _CONNECTION_OPTIONS if name in options
    }
    driver = options.pop("driver", None)
    _check_options(options, with_driver=driver is not None)
    check_pushdown_mode(connection_options.get("pushdown", "auto"))
    check_query_timeout(connection_options.get("query_timeout"))
    check_max_queries(connection_options.get("max_queries"))
    check_hogql_flag(connection_options.get("hogql", False))
    check_statement_timeout(connection_options.get("statement_timeout"))
    if driver is not None:
        return Connection(driver, owns_driver=False, **connection_options)

    settings: dict[str, Any] = {
        "api_url": api_url or os.environ.get("POSTHOG_API_URL"),
        "api_key": api_key or os.environ.get("POSTHOG_API_KEY"),
        "project_id": project_id or os.environ.get("POSTHOG_PROJECT_ID"),
    }
    settings = {k: v for k, v in settings.items() if v}
    return Connection(PostHogDriver(**settings, **options), **connection_options)

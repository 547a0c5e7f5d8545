"""posthog_dbapi: PostHog as a database.

- ``PostHogDriver``: the HTTP driver (CRUD, pagination, retries, schema discovery).
- ``connect()``: a PEP 249 connection on which every PostHog resource is a table.
- ``posthog://``: a SQLAlchemy dialect (``posthog_dbapi.dialect``).
- ``python -m posthog_emulator``: a local PostHog API emulator with demo data.

Every public name is importable from here, but each layer is loaded only when one of its names
is first used (PEP 562): ``import posthog_dbapi.driver`` loads the driver and ``requests``, not
the DB-API's apsw and sqlglot; ``posthog_dbapi.connect`` loads the DB-API. The exceptions and
type objects are small and loaded at once.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from posthog_dbapi.exceptions import (
    AuthenticationError,
    ConnectionError,
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    MalformedResponseError,
    NotSupportedError,
    ObjectNotFoundError,
    OperationalError,
    PartialWriteError,
    PermissionDeniedError,
    PostHogServerError,
    ProgrammingError,
    RateLimitError,
    TimeoutError,
    ValidationError,
    Warning,
)
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

if TYPE_CHECKING:
    from posthog_dbapi.dbapi import apilevel, connect, paramstyle, threadsafety
    from posthog_dbapi.driver import (
        DriverCapabilities,
        PaginationStyle,
        PostHogDriver,
        QueryResult,
    )

__version__ = "0.1.0"

# The names loaded on first use, and the module that defines each.
_LAZY = {
    "apilevel": "posthog_dbapi.dbapi",
    "connect": "posthog_dbapi.dbapi",
    "paramstyle": "posthog_dbapi.dbapi",
    "threadsafety": "posthog_dbapi.dbapi",
    "DriverCapabilities": "posthog_dbapi.driver",
    "PaginationStyle": "posthog_dbapi.driver",
    "PostHogDriver": "posthog_dbapi.driver",
    "QueryResult": "posthog_dbapi.driver",
}


# Subpackages reachable as attributes (``posthog_dbapi.dialect.PostHogDialect``) without an
# import of their own, as when this module imported them all.
_SUBPACKAGES = frozenset(
    {"adapters", "catalog", "cli", "dbapi", "dialect", "driver", "pgwire", "sql"}
)


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"posthog_dbapi.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'posthog_dbapi' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_SUBPACKAGES})


__all__ = [
    "BINARY",
    "DATETIME",
    "NUMBER",
    "ROWID",
    "STRING",
    "AuthenticationError",
    "Binary",
    "ConnectionError",
    "DataError",
    "DatabaseError",
    "Date",
    "DateFromTicks",
    "DriverCapabilities",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "MalformedResponseError",
    "NotSupportedError",
    "ObjectNotFoundError",
    "OperationalError",
    "PaginationStyle",
    "PartialWriteError",
    "PermissionDeniedError",
    "PostHogDriver",
    "PostHogServerError",
    "ProgrammingError",
    "QueryResult",
    "RateLimitError",
    "Time",
    "TimeFromTicks",
    "TimeoutError",
    "Timestamp",
    "TimestampFromTicks",
    "ValidationError",
    "Warning",
    "__version__",
    "apilevel",
    "connect",
    "paramstyle",
    "threadsafety",
]

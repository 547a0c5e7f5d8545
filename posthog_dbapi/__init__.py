"""posthog_dbapi: PostHog as a database.

- ``PostHogDriver``: the HTTP driver (CRUD, pagination, retries, schema discovery).
- ``connect()``: a PEP 249 connection on which every PostHog resource is a table.
- ``posthog://``: a SQLAlchemy dialect (``posthog_dbapi.dialect``).
- ``python -m posthog_emulator``: a local PostHog API emulator with demo data.
"""

from __future__ import annotations

# The catalog registers the resource directory the driver consults; import it before the driver.
from posthog_dbapi import catalog as _catalog  # noqa: F401
from posthog_dbapi.dbapi import apilevel, connect, paramstyle, threadsafety
from posthog_dbapi.driver import DriverCapabilities, PaginationStyle, PostHogDriver, QueryResult
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

__version__ = "0.1.0"

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

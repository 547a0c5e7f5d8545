"""Turns whatever a statement raised into this package's PEP 249 exception classes.

The driver's errors already are (they subclass ``OperationalError``, ``ProgrammingError`` and so
on) and pass through unchanged. SQLite's errors keep SQLite's message. Anything else becomes an
``InternalError``, so no other exception type escapes a cursor method.
"""

from __future__ import annotations

import apsw

from posthog_dbapi.exceptions import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    OperationalError,
    ProgrammingError,
)

__all__ = ["translate"]


def translate(exc: BaseException) -> Error:
    """The PEP 249 error to raise for ``exc`` (raise it ``from exc``)."""
    if isinstance(exc, Error):
        return exc
    message = str(exc.args[0]) if exc.args else str(exc)
    # apsw prefixes its messages with the class name ("SQLError: no such column: x").
    if ": " in message and message.split(": ", 1)[0].endswith("Error"):
        message = message.split(": ", 1)[1]
    if isinstance(exc, apsw.SQLError):
        return ProgrammingError(message, suggestion="Check the SQL against the table's columns.")
    if isinstance(exc, apsw.ConstraintError):
        return IntegrityError(message)
    if isinstance(exc, (apsw.MismatchError, apsw.TooBigError, apsw.RangeError)):
        return DataError(message)
    if isinstance(exc, (apsw.ConnectionClosedError, apsw.CursorClosedError)):
        return InterfaceError(message, suggestion="Open a new connection with connect().")
    if isinstance(exc, (apsw.BusyError, apsw.LockedError, apsw.InterruptError)):
        return OperationalError(message)
    if isinstance(exc, apsw.Error):
        return DatabaseError(message)
    if isinstance(exc, (ValueError, TypeError, OverflowError)):
        return DataError(message, suggestion="Check the types of the values in the statement.")
    return InternalError(
        f"Unexpected {type(exc).__name__}: {message}",
        suggestion="This is a bug in posthog_dbapi; please report it with the statement.",
    )

"""PEP 249 type objects and constructors.

A type object compares equal to every type code of its group, so ``description[i][1] == NUMBER``
works for whatever code the cursor reports (a code is a lower-case name such as ``"integer"``,
``"datetime"``, ``"json"``). Also the one reading of a boolean written as text (URL options,
``connect(hogql="true")``, PostgreSQL wire parameters), ``bool_from_text``.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

__all__ = [
    "BINARY",
    "DATETIME",
    "NUMBER",
    "ROWID",
    "STRING",
    "Binary",
    "DBAPITypeObject",
    "Date",
    "DateFromTicks",
    "Time",
    "TimeFromTicks",
    "Timestamp",
    "TimestampFromTicks",
    "bool_from_text",
    "type_code_for",
    "utc_text",
]

# PostgreSQL's spellings of a boolean (its boolin), a superset of what URLs and CLIs use.
_TRUE_TEXT = frozenset({"t", "true", "y", "yes", "on", "1"})
_FALSE_TEXT = frozenset({"f", "false", "n", "no", "off", "0"})


def bool_from_text(text: str) -> bool:
    """``"true"``/``"false"`` and their usual spellings, any case; ``ValueError`` for any other
    text, so a typo such as ``"treu"`` never reads as false."""
    value = text.strip().lower()
    if value in _TRUE_TEXT:
        return True
    if value in _FALSE_TEXT:
        return False
    raise ValueError(f"{text!r} is not a boolean; use true or false")


class DBAPITypeObject:
    """A group of type codes that compares equal to each of them."""

    def __init__(self, name: str, *codes: str) -> None:
        self.name = name
        self.codes = frozenset(codes)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DBAPITypeObject):
            return self is other
        return other in self.codes

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"<DBAPITypeObject {self.name}>"


STRING = DBAPITypeObject("STRING", "string", "text", "uuid", "json", "enum")
BINARY = DBAPITypeObject("BINARY", "binary", "blob")
NUMBER = DBAPITypeObject("NUMBER", "integer", "float", "decimal", "boolean", "number")
DATETIME = DBAPITypeObject("DATETIME", "datetime", "date", "time")
ROWID = DBAPITypeObject("ROWID", "rowid")

_CODES = {
    "string": "string",
    "integer": "integer",
    "number": "float",
    "float": "float",
    "boolean": "boolean",
    "datetime": "datetime",
    "date": "date",
    "time": "time",
    "json": "json",
    "uuid": "uuid",
    "binary": "binary",
}


def type_code_for(kind: str) -> str:
    """The cursor type code for a catalog column kind (``"string"``, ``"integer"``, ...)."""
    return _CODES.get(kind, "string")


def utc_text(value: _dt.datetime | _dt.date | _dt.time) -> str:
    """The one text form of a time value in this package's SQL: ISO 8601, and for a datetime its
    aware UTC value (a naive one is taken as UTC), e.g. ``2024-01-05T10:00:00.123456+00:00``.
    Tables store timestamps so, parameters bind so, and both query routes compare that text."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        elif value.utcoffset() != _dt.timedelta(0):
            value = value.astimezone(_dt.timezone.utc)
        else:
            value = value.replace(tzinfo=_dt.timezone.utc)
    return value.isoformat()


def Date(year: int, month: int, day: int) -> _dt.date:
    return _dt.date(year, month, day)


def Time(hour: int, minute: int, second: int) -> _dt.time:
    return _dt.time(hour, minute, second)


def Timestamp(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> _dt.datetime:
    return _dt.datetime(year, month, day, hour, minute, second, tzinfo=_dt.timezone.utc)


def DateFromTicks(ticks: float) -> _dt.date:
    return _dt.datetime.fromtimestamp(ticks, _dt.timezone.utc).date()


def TimeFromTicks(ticks: float) -> _dt.time:
    return _dt.datetime.fromtimestamp(ticks, _dt.timezone.utc).time()


def TimestampFromTicks(ticks: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(ticks, _dt.timezone.utc)


def Binary(value: Any) -> bytes:
    return bytes(value)

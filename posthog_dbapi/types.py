"""PEP 249 type objects and constructors.

A type object compares equal to every type code of its group, so ``description[i][1] == NUMBER``
works for whatever code the cursor reports (a code is a lower-case name such as ``"integer"``,
``"datetime"``, ``"json"``). Also the one reading of a boolean written as text (URL options,
``connect(hogql="true")``, PostgreSQL wire parameters), ``bool_from_text``, and the one reading
of a timestamp written as text (API answers, HogQL answers, filters, PostgreSQL parameters),
``parse_timestamp``.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable
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
    "parse_timestamp",
    "timestamp_converter",
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

_UTC = _dt.timezone.utc

# What ``datetime.fromisoformat`` of Python 3.10 refuses but the servers and clients we read
# write: ``Z``, PostgreSQL's ``+01`` and ``+0530`` offsets, fractions of other than 3 or 6
# digits (ClickHouse's DateTime64(9) has 9), surrounding spaces.
_LOOSE_TIMESTAMP = re.compile(
    r"\s*(?P<date>\d{4}-\d\d-\d\d)"
    r"(?:[Tt ](?P<time>\d\d:\d\d(?::\d\d)?)(?:[.,](?P<fraction>\d+))?)?\s*"
    r"(?:(?P<utc>[Zz])|(?P<sign>[+-])(?P<hours>\d\d)(?::?(?P<minutes>\d\d))?(?::?(?P<seconds>\d\d))?)?"
    r"\s*"
)


def parse_timestamp(text: str, zone: _dt.tzinfo | None = _UTC) -> _dt.datetime:
    """An ISO 8601 (or PostgreSQL, or ClickHouse) timestamp as an aware datetime in ``zone``.

    Text without an offset is a wall-clock time in ``zone``; a date alone is its midnight.
    ``zone=None`` keeps the offset the text was written with (UTC when it has none), for a
    reader that must tell a local answer from a UTC one. ``ValueError`` for anything that is
    not a timestamp."""
    try:
        parsed = _dt.datetime.fromisoformat(text)
    except ValueError:
        parsed = _parse_loose(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=zone or _UTC)
    if zone is None or parsed.tzinfo is zone:
        return parsed  # the usual case (UTC answers for a UTC reader): nothing to convert
    return parsed.astimezone(zone)


def timestamp_converter(zone: _dt.tzinfo = _UTC) -> Callable[[Any], Any]:
    """A converter of result cells: text that reads as a timestamp becomes an aware datetime in
    ``zone`` (``parse_timestamp``; offset-free text is a wall-clock time there), anything else
    comes back as it is."""

    def convert(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return parse_timestamp(value, zone)
        except ValueError:
            return value

    return convert


def _parse_loose(text: str) -> _dt.datetime:
    match = _LOOSE_TIMESTAMP.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not an ISO 8601 timestamp")
    parts = match.groupdict()
    moment = _dt.datetime.fromisoformat(f"{parts['date']}T{parts['time'] or '00:00'}")
    if parts["fraction"]:
        # Truncated to microseconds, as ClickHouse shows a DateTime64(6) of the same value.
        moment = moment.replace(microsecond=int(parts["fraction"][:6].ljust(6, "0")))
    if parts["utc"]:
        return moment.replace(tzinfo=_UTC)
    if parts["sign"]:
        offset = _dt.timedelta(
            hours=int(parts["hours"]),
            minutes=int(parts["minutes"] or 0),
            seconds=int(parts["seconds"] or 0),
        )
        sign = -1 if parts["sign"] == "-" else 1
        return moment.replace(tzinfo=_dt.timezone(sign * offset))
    return moment


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

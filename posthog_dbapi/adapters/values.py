"""Value conversion between PostHog's JSON, SQLite's storage types and Python, per column kind.

Column kinds are the catalog's (contract B): ``string``, ``integer``, ``number``, ``boolean``,
``datetime``, ``date``, ``uuid``, ``json``. Reading: nested objects and arrays become JSON text (so
SQLite's ``json_extract`` works), timestamps become aware UTC ``datetime``, booleans ``bool``.
Writing: a value is checked against its column before any request, and refused with a
``DataError`` that names the column, the value and what is expected.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from shillelagh.fields import Boolean, Date, DateTime, Field, Float, Integer, String

from posthog_dbapi.exceptions import DataError

__all__ = ["field_for", "parse_datetime", "to_api_value", "to_native"]

_FIELD_TYPES: dict[str, type[Field]] = {
    "integer": Integer,
    "number": Float,
    "boolean": Boolean,
    "datetime": DateTime,
    "date": Date,
}


def field_for(kind: str, **kwargs: Any) -> Field:
    """The shillelagh ``Field`` declaring a column of this kind (its SQLite type)."""
    return _FIELD_TYPES.get(kind, String)(**kwargs)


_UTC = dt.timezone.utc


def parse_datetime(value: str) -> dt.datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (naive ones are taken as UTC)."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = dt.datetime.fromisoformat(text)
    tz = parsed.tzinfo
    if tz is None:
        return parsed.replace(tzinfo=_UTC)
    if tz is _UTC:
        return parsed  # the common case (``+00:00``/``Z``): nothing to convert
    return parsed.astimezone(_UTC)


def _to_integer(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    return int(value)


def _to_datetime(value: Any) -> Any:
    return parse_datetime(value) if isinstance(value, str) else value


def _to_date(value: Any) -> Any:
    return dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _to_text(value: Any) -> Any:
    return value if isinstance(value, str) else str(value)


# Per-kind conversions of a non-null scalar; a kind not listed keeps the value as it is.
_NATIVE: dict[str, Any] = {
    "integer": _to_integer,
    "number": float,
    "boolean": bool,
    "datetime": _to_datetime,
    "date": _to_date,
    "string": _to_text,
    "uuid": _to_text,
}


def to_native(kind: str, value: Any) -> Any:
    """An API value as the Python value a row holds."""
    if value is None:
        return None
    # Called once per cell of every REST row, so text, the most common case, is decided first.
    if value.__class__ is str and (kind == "string" or kind == "uuid"):
        return value
    if kind == "json" or isinstance(value, (dict, list)):
        # JSON columns, or a field the schema calls scalar but PostHog answered with a structure.
        return json.dumps(value)
    convert = _NATIVE.get(kind)
    if convert is None:
        return value
    try:
        return convert(value)
    except (TypeError, ValueError):
        return value


def _refuse(table: str, column: str, value: Any, expected: str) -> DataError:
    return DataError(
        f"Column {table}.{column} takes {expected}, not {value!r}.",
        {"table": table, "column": column},
        suggestion=f"Pass {expected} for {column}.",
    )


def to_api_value(table: str, column: str, info: dict[str, Any], value: Any) -> Any:
    """A SQL value (SQLite storage type or bound Python value) as the JSON PostHog expects."""
    kind = info.get("type", "string")
    if value is None:
        return None
    if isinstance(value, (dt.datetime, dt.date)) and kind in ("datetime", "date"):
        value = value.isoformat()
    if kind == "json":
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise _refuse(table, column, value, "JSON text") from None
        if isinstance(value, (int, float, dict, list)):
            return value
        raise _refuse(table, column, value, "JSON text")
    if kind == "integer":
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if not isinstance(value, int):
            raise _refuse(table, column, value, "an integer")
        return int(value)
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _refuse(table, column, value, "a number")
        return value
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise _refuse(table, column, value, "a boolean (TRUE/FALSE or 1/0)")
    if kind == "datetime":
        if not isinstance(value, str):
            raise _refuse(table, column, value, "an ISO 8601 timestamp")
        try:
            return parse_datetime(value).isoformat().replace("+00:00", "Z")
        except ValueError:
            raise _refuse(table, column, value, "an ISO 8601 timestamp") from None
    if kind == "date":
        try:
            return dt.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise _refuse(table, column, value, "an ISO date (YYYY-MM-DD)") from None
    if not isinstance(value, str):
        raise _refuse(table, column, value, "text")
    enum = info.get("enum")
    if enum and value not in enum:
        raise _refuse(table, column, value, "one of " + ", ".join(map(str, enum)))
    max_length = info.get("max_length")
    if max_length is not None and len(value) > max_length:
        raise _refuse(table, column, value, f"text of at most {max_length} characters")
    return value

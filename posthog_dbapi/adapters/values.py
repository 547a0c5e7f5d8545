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


def parse_datetime(value: str) -> dt.datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (naive ones are taken as UTC)."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def to_native(kind: str, value: Any) -> Any:
    """An API value as the Python value a row holds."""
    if value is None:
        return None
    if kind == "json":
        return json.dumps(value)
    if isinstance(value, (dict, list)):
        # A field the schema calls scalar but PostHog answered with a structure.
        return json.dumps(value)
    try:
        if kind == "integer" and not isinstance(value, bool):
            return int(value)
        if kind == "number":
            return float(value)
        if kind == "boolean":
            return bool(value)
        if kind == "datetime" and isinstance(value, str):
            return parse_datetime(value)
        if kind == "date" and isinstance(value, str):
            return dt.date.fromisoformat(value[:10])
    except (TypeError, ValueError):
        return value
    if kind in ("string", "uuid") and not isinstance(value, str):
        return str(value)
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

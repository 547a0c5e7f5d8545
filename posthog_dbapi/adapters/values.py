"""Value conversion between PostHog's JSON, SQLite's storage types and Python, per column kind.

Column kinds are the catalog's (contract B): ``string``, ``integer``, ``number``, ``boolean``,
``datetime``, ``date``, ``uuid``, ``json``. Reading: API values become what SQLite holds - nested
objects and arrays as JSON text (so ``json_extract`` works), timestamps as ISO text of the UTC
value, booleans as ``bool``; the cursor turns timestamps back into ``datetime``.
Writing: a value is checked against its column before any request, and refused with a
``DataError`` that names the column, the value and what is expected.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

from shillelagh import fields
from shillelagh.fields import Field

from posthog_dbapi.catalog.spec import ColumnType
from posthog_dbapi.exceptions import DataError
from posthog_dbapi.types import parse_timestamp, utc_text

__all__ = [
    "dumps_json",
    "field_for",
    "from_storage",
    "storage_converter",
    "stored_timestamp",
    "to_api_value",
    "zulu_stored_form",
]


def field_for(kind: str, **kwargs: Any) -> Field:
    """The shillelagh ``Field`` declaring a column of this kind (its SQLite type), as the
    column model names it."""
    field_class: type[Field] = getattr(fields, ColumnType.of(kind).types.field)
    return field_class(**kwargs)


_UTC = dt.timezone.utc


# A timestamp already in the form SQLite holds (``datetime.isoformat()`` of an aware UTC value),
# or one character away from it (``Z``): the common case, converted without building a datetime.
_CANONICAL_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?(Z|\+00:00)")

zulu_stored_form = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.(?!000000)\d{6})?Z").fullmatch
"""Whether an API timestamp is the stored form but for its ``Z`` (the commonest API form): then
``stored_timestamp`` is the text with ``+00:00`` for the ``Z``. One C-level call, for hot loops."""


def stored_timestamp(value: str) -> str:
    """An API timestamp as the text a table holds: ``datetime.isoformat()`` of the aware UTC
    value (``2024-01-05T10:00:00.123456+00:00``; no fraction when it is zero). Both query routes
    and every comparison rely on this one form."""
    if zulu_stored_form(value) is not None:
        return value[:-1] + "+00:00"
    match = _CANONICAL_UTC.fullmatch(value)
    if match is not None and match.group(1) != ".000000":
        return value if match.group(2) == "+00:00" else value[:-1] + "+00:00"
    return utc_text(parse_timestamp(value))


def _json_encoder() -> Callable[[Any], str]:
    """``json.dumps`` with its default settings, minus the encoder object ``dumps`` builds on
    every call (most of the cost of encoding a small object or an empty list, which is what an
    API record's nested columns mostly are). The text is the same as ``json.dumps``'s."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # an interpreter without the C accelerator
        return json.dumps
    # Decoded JSON holds no cycles, so the circular-reference markers (None) are not needed.
    encode = make(
        None,
        json.JSONEncoder().default,
        json.encoder.encode_basestring_ascii,
        None,
        ": ",
        ", ",
        False,
        False,
        True,
    )

    def dumps(value: Any) -> str:
        if value.__class__ is str:
            return json.encoder.encode_basestring_ascii(value)
        return "".join(encode(value, 0))

    return dumps


dumps_json: Callable[[Any], str] = _json_encoder()
"""``json.dumps(value)`` for a value decoded from JSON: the text a JSON column holds."""


def _stored_integer(value: Any) -> Any:
    return value if value.__class__ is int else int(value)


def _stored_datetime(value: Any) -> Any:
    if isinstance(value, str):
        return stored_timestamp(value)
    return utc_text(value) if isinstance(value, (dt.datetime, dt.date)) else value


def _stored_date(value: Any) -> Any:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10]).isoformat()
    return value.isoformat() if isinstance(value, dt.date) else value


def _stored_text(value: Any) -> Any:
    if value.__class__ is str:
        return value
    return dumps_json(value) if isinstance(value, (dict, list)) else str(value)


def _stored_json(value: Any) -> Any:
    return dumps_json(value)


# Per-kind conversions of a non-null scalar to its SQLite storage value.
_STORED: dict[str, Callable[[Any], Any]] = {
    "integer": _stored_integer,
    "number": float,
    "boolean": bool,
    "datetime": _stored_datetime,
    "date": _stored_date,
    "string": _stored_text,
    "uuid": _stored_text,
    "json": _stored_json,
}


def storage_converter(kind: str) -> Callable[[Any], Any]:
    """The function that turns an API value of a column of ``kind`` into the value the virtual
    table hands SQLite: JSON text for objects and arrays (so ``json_extract`` works), timestamps
    as ISO text, booleans as ``bool`` (an ``int`` to SQLite). Chosen once per column, since it
    runs for every cell of every row; a value that does not fit its kind is kept (as JSON text
    when it is a structure) rather than dropped."""
    convert = _STORED.get(kind)

    def stored(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, (dict, list)):
            return dumps_json(value)
        if convert is None:
            return value
        try:
            return convert(value)
        except (TypeError, ValueError):
            return value

    if kind in ("string", "uuid"):
        # The most common cell: text, returned as it is without another call.
        return lambda value: value if value.__class__ is str else stored(value)
    return stored


def _to_datetime(value: Any) -> Any:
    return parse_timestamp(value) if isinstance(value, str) else value


def _to_date(value: Any) -> Any:
    return dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value


def _to_bool(value: Any) -> Any:
    return bool(value) if isinstance(value, int) else value


_FROM_STORAGE: dict[str, Callable[[Any], Any]] = {
    "datetime": _to_datetime,
    "date": _to_date,
    "boolean": _to_bool,
}


def from_storage(code: str | None) -> Callable[[Any], Any] | None:
    """The conversion of a non-null SQLite value of a column with type ``code`` into the Python
    value the cursor returns (timestamps as ``datetime``, booleans as ``bool``); ``None`` when
    the value is returned as SQLite holds it."""
    return _FROM_STORAGE.get(code) if code is not None else None


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
            return parse_timestamp(value).isoformat().replace("+00:00", "Z")
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

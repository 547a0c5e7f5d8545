"""Field definitions of emulated resources, parsed from a compact table, and input validation.

A resource's fields are written one per line::

    name  type[?]  [ro] [wo] [req] [detail] [max=N] [enum=a|b|""|"a b"|@NAME] [=<json>]

``type`` is one of int, str, bool, num, datetime, date, uuid, json, obj, list, user; ``?`` makes
the field nullable. ``ro`` fields are set by the server and ignored on input, ``wo`` fields are
accepted but never returned, ``req`` fields are required on create, ``detail`` fields are left out
of list items. Validation follows DRF's messages and codes, reporting only the first error, as
PostHog's exception handler does.
"""

from __future__ import annotations

import datetime as dt
import json
import shlex
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, validation_error

__all__ = ["Field", "format_datetime", "parse_datetime", "parse_fields", "validate_input"]

TYPES = frozenset(
    {"int", "str", "bool", "num", "datetime", "date", "uuid", "json", "obj", "list", "user"}
)
_MISSING = object()


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    nullable: bool = False
    read_only: bool = False
    write_only: bool = False
    required: bool = False
    in_list: bool = True
    enum: tuple[Any, ...] | None = None
    max_length: int | None = None
    default_json: str | None = None
    """The default as JSON text; decoded per row so rows never share mutable defaults."""

    def default(self) -> Any:
        if self.default_json is not None:
            return json.loads(self.default_json)
        if self.nullable or self.type in ("json", "user"):
            return None
        return {"int": 0, "str": "", "bool": False, "num": 0.0, "obj": {}, "list": []}.get(
            self.type
        )


def parse_fields(
    table: str, enums: Mapping[str, tuple[str, ...]] | None = None
) -> tuple[Field, ...]:
    """Parse a field table; ``enum=@name`` takes the values from ``enums[name]``."""
    fields = []
    for raw in table.strip().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, type_, rest = ([*line.split(None, 2), ""])[:3]
        nullable = type_.endswith("?")
        type_ = type_.rstrip("?")
        if type_ not in TYPES:
            raise ValueError(f"unknown field type {type_!r} in {raw!r}")
        kw: dict[str, Any] = {}
        for flag in _split_flags(rest):
            if flag == "ro":
                kw["read_only"] = True
            elif flag == "wo":
                kw["write_only"] = True
            elif flag == "req":
                kw["required"] = True
            elif flag == "detail":
                kw["in_list"] = False
            elif flag.startswith("max="):
                kw["max_length"] = int(flag[4:])
            elif flag.startswith("enum="):
                spec = flag[5:]
                values = (
                    list((enums or {})[spec[1:]])
                    if spec.startswith("@")
                    else spec.split("|")  # shlex turned a quoted "" into an empty value
                )
                kw["enum"] = tuple(int(v) for v in values) if type_ == "int" else tuple(values)
            elif flag.startswith("="):
                json.loads(flag[1:])  # fail at import on a bad default
                kw["default_json"] = flag[1:]
            else:
                raise ValueError(f"unknown flag {flag!r} in {raw!r}")
        fields.append(Field(name, type_, nullable, **kw))
    return tuple(fields)


def _split_flags(rest: str) -> list[str]:
    """Flags after name and type; a ``=<json>`` default runs to the end of the line."""
    head, sep, default = (" " + rest).partition(" =")
    flags = shlex.split(head)
    if sep:
        flags.append("=" + default.strip())
    return flags


def format_datetime(value: dt.datetime) -> str:
    """DRF's rendering: ISO 8601, UTC as ``Z``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    text = value.astimezone(dt.timezone.utc).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def parse_datetime(text: str) -> dt.datetime:
    # The client reads timestamps with posthog_dbapi.types.parse_timestamp; the emulator keeps
    # its own reading (of what PostHog's serializers accept) because it is an independent
    # implementation of the API and imports nothing from the client.
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


_DATETIME_FORMAT_HINT = (
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)
_TRUE = {True, "1", "true", "True", "TRUE", "t", "T", "y", "yes", "on"}
_FALSE = {False, "0", "false", "False", "FALSE", "f", "F", "n", "no", "off"}


def _invalid(field: Field, message: str, code: str = "invalid") -> ApiError:
    return validation_error(message, code=code, attr=field.name)


def _as_str(field: Field, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _invalid(field, "Not a valid string.")
    value = str(value)
    if field.required and not value.strip():
        raise _invalid(field, "This field may not be blank.", "blank")
    if field.max_length is not None and len(value) > field.max_length:
        raise _invalid(
            field,
            f"Ensure this field has no more than {field.max_length} characters.",
            "max_length",
        )
    return value


def _number(
    cast: Callable[[Any], Any], message: str, refused: Callable[[Any], bool]
) -> Callable[[Field, Any], Any]:
    """The reading of a number field: ``cast`` of the value, unless ``refused`` says DRF
    refuses it first (a boolean; a fraction for an integer)."""

    def read(field: Field, value: Any) -> Any:
        if refused(value):
            raise _invalid(field, message)
        try:
            return cast(value)
        except (TypeError, ValueError):
            raise _invalid(field, message) from None

    return read


def _not_an_integer(value: Any) -> bool:
    return isinstance(value, bool) or (isinstance(value, float) and not value.is_integer())


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _as_bool(field: Field, value: Any) -> bool:
    if isinstance(value, (str, int, bool)) and value in _TRUE:
        return True
    if isinstance(value, (str, int, bool)) and value in _FALSE:
        return False
    raise _invalid(field, "Must be a valid boolean.")


def _as_datetime(field: Field, value: Any) -> str:
    if not isinstance(value, str):
        raise _invalid(field, _DATETIME_FORMAT_HINT)
    try:
        return format_datetime(parse_datetime(value))
    except ValueError:
        raise _invalid(field, _DATETIME_FORMAT_HINT) from None


def _as_date(field: Field, value: Any) -> str:
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise _invalid(
            field, "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
        ) from None


def _as_uuid(field: Field, value: Any) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise _invalid(field, "Must be a valid UUID.") from None


def _container(kind: type, label: str, code: str) -> Callable[[Field, Any], Any]:
    """The reading of an object (``dict``) or list field: the value as it is, of that type."""

    def read(field: Field, value: Any) -> Any:
        if not isinstance(value, kind):
            raise _invalid(
                field, f'Expected a {label} of items but got type "{type(value).__name__}".', code
            )
        return value

    return read


# Each field type's reading of a value, with DRF's messages and codes (json takes anything).
_COERCERS: dict[str, Callable[[Field, Any], Any]] = {
    "str": _as_str,
    "int": _number(int, "A valid integer is required.", _not_an_integer),
    "num": _number(float, "A valid number is required.", _is_bool),
    "bool": _as_bool,
    "datetime": _as_datetime,
    "date": _as_date,
    "uuid": _as_uuid,
    "obj": _container(dict, "dictionary", "not_a_dict"),
    "list": _container(list, "list", "not_a_list"),
}


def _coerce(field: Field, value: Any) -> Any:
    """One value to its stored form, or an ApiError with DRF's code and message."""
    if value is None:
        if field.nullable or field.type == "json":
            return None
        raise _invalid(field, "This field may not be null.", "null")
    if field.enum is not None:
        if value not in field.enum:
            raise _invalid(field, f'"{value}" is not a valid choice.', "invalid_choice")
        return value
    coerce = _COERCERS.get(field.type)
    return value if coerce is None else coerce(field, value)


def validate_input(fields: tuple[Field, ...], data: Any, *, partial: bool) -> dict[str, Any]:
    """The writable values of ``data``; read-only and unknown keys are dropped, as DRF does."""
    if not isinstance(data, Mapping):
        raise ApiError(
            400,
            "validation_error",
            "invalid",
            f"Invalid data. Expected a dictionary, but got {type(data).__name__}.",
        )
    clean: dict[str, Any] = {}
    for field in fields:
        if field.read_only:
            continue
        value = data.get(field.name, _MISSING)
        if value is _MISSING:
            if field.required and not partial:
                raise validation_error("This field is required.", code="required", attr=field.name)
            continue
        clean[field.name] = _coerce(field, value)
    return clean

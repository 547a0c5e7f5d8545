"""Result typing for HogQL answers: ClickHouse type strings to PEP 249 descriptions and values.

The Query API answers ``types`` as ``[name, ClickHouse type]`` pairs (``"Nullable(String)"``,
``"DateTime64(6, 'UTC')"``, ``"Array(String)"``, ...). This module unwraps ``Nullable(...)`` and
``LowCardinality(...)``, names a PEP 249 type code for each column, and converts the JSON values to
Python: DateTime to an aware ``datetime`` in the column's zone (UTC, or the project's), Date to
``date``, integers (UInt64 arrives as a string when ClickHouse quotes 64-bit integers) to ``int``,
Bool to ``int`` (SQLite's 1/0, so both routes agree), arrays to lists, tuples to tuples.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import operator
import re
from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from posthog_dbapi.exceptions import OperationalError
from posthog_dbapi.types import parse_timestamp, timestamp_converter

__all__ = [
    "Description",
    "base_type",
    "column_converter_for",
    "converter_for",
    "decode_json_value",
    "decode_number",
    "description_for",
    "dt_text",
    "is_nullable",
    "normalise_json",
    "sqlite_round",
    "type_code",
]

Description = tuple[str, str, None, None, None, None, bool]
"""One PEP 249 description entry: (name, type_code, display_size, internal_size, precision,
scale, null_ok); the type code is one of ``posthog_dbapi.types``' codes (``"integer"``, ...)."""

_WRAPPER = re.compile(r"^(Nullable|LowCardinality)\((.*)\)$", re.S)


def base_type(type_name: str) -> str:
    """``Nullable(LowCardinality(String))`` -> ``String``."""
    text = type_name.strip()
    while True:
        match = _WRAPPER.match(text)
        if not match:
            return text
        text = match.group(2).strip()


def is_nullable(type_name: str) -> bool:
    return "Nullable(" in type_name or type_name.strip() == "Nothing"


def _split_args(inner: str) -> list[str]:
    """Top-level comma split of a type's arguments (``Tuple(a Array(String), b Int64)``)."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    quote = False
    for ch in inner:
        if ch == "'":
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
        elif not quote and ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    if current:
        parts.append("".join(current).strip())
    return parts


def type_code(type_name: str) -> str:
    """The PEP 249 type code of a ClickHouse type, the same codes the SQLite route reports
    (``posthog_dbapi.types``), so a column's code does not depend on the route taken."""
    base = base_type(type_name)
    if base.startswith("DateTime"):
        return "datetime"
    if base.startswith("Date"):
        return "date"
    if base.startswith(("Int", "UInt", "Bool")):
        return "integer"
    if base.startswith(("Float", "Decimal")):
        return "float"
    if base.startswith(("Array(", "Tuple(")):
        return "array"
    if base == "UUID":
        return "uuid"
    return "string"


def description_for(name: str, type_name: str) -> Description:
    return (name, type_code(type_name), None, None, None, None, is_nullable(type_name))


_UTC = dt.timezone.utc
_ZONE = re.compile(r"DateTime(?:64)?\((?:\d+\s*,\s*)?'([^']+)'\)")


def _zone_of(base: str) -> dt.tzinfo:
    """The timezone a DateTime type names (``DateTime64(6, 'America/Los_Angeles')``): HogQL
    answers in the project's zone unless the query asked for UTC."""
    match = _ZONE.search(base)
    name = match.group(1) if match else "UTC"
    if name in ("UTC", "Etc/UTC", "GMT"):
        return _UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return _UTC


_to_datetime = timestamp_converter(_UTC)


def dt_text(value: Any) -> Any:
    """A DateTime answer as the text SQLite holds for a timestamp: ``isoformat()`` in UTC, or,
    when HogQL answered in the project's timezone (an offset other than UTC, which it only
    sends with ``convertToProjectTimezone`` on), that wall-clock time without an offset, as a
    ``timezone="project"`` connection stores it (``time_shape``)."""
    if isinstance(value, str):
        try:
            answered = parse_timestamp(value, None)
        except ValueError:
            answered = None
        offset = answered.utcoffset() if answered is not None else None
        if answered is not None and offset is not None and offset != dt.timedelta(0):
            return answered.replace(tzinfo=None).isoformat()
    moment = _to_datetime(value)
    return moment.isoformat() if isinstance(moment, dt.datetime) else moment


def _to_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return value


def _to_int(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, str)):
        try:
            return int(value)
        except ValueError:
            return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _to_float(value: Any) -> Any:
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def converter_for(type_name: str) -> Callable[[Any], Any]:
    """A function turning one JSON value of this ClickHouse type into its Python value."""
    base = base_type(type_name)
    convert: Callable[[Any], Any]
    if base.startswith("DateTime"):
        convert = timestamp_converter(_zone_of(base))
    elif base.startswith("Date"):
        convert = _to_date
    elif base.startswith(("Int", "UInt", "Bool")):
        convert = _to_int
    elif base.startswith("Float"):
        convert = _to_float
    elif base.startswith("Array("):
        item = converter_for(base[len("Array(") : -1])

        def convert(value: Any) -> Any:
            return [item(v) for v in value] if isinstance(value, list) else value

    elif base.startswith("Tuple("):
        items = [
            converter_for(arg.split(" ", 1)[1] if re.match(r"^\w+ \w", arg) else arg)
            for arg in _split_args(base[len("Tuple(") : -1])
        ]

        def convert(value: Any) -> Any:
            if isinstance(value, list):
                return tuple(f(v) for f, v in zip(items, value))
            return value

    else:

        def convert(value: Any) -> Any:
            return value

    def guarded(value: Any) -> Any:
        return None if value is None else convert(value)

    return guarded


_PASSED = ("DateTime", "Date", "Int", "UInt", "Bool", "Float", "Array(", "Tuple(")
_fromisoformat = dt.datetime.fromisoformat
_tzinfo = operator.attrgetter("tzinfo")


def column_converter_for(type_name: str) -> Callable[[Sequence[Any]], Sequence[Any]] | None:
    """What `converter_for` does, to a whole column of an answer at once (None: the JSON values
    are the Python values already, as for a String). A timestamp column of the usual shape is
    parsed by one C-level ``map``; anything else takes the per-value converter."""
    base = base_type(type_name)
    if not base.startswith(_PASSED):
        return None
    one = converter_for(type_name)
    zone = _zone_of(base) if base.startswith("DateTime") else None

    def column(values: Sequence[Any]) -> Sequence[Any]:
        if zone is not None and set(map(type, values)) == {str}:
            try:
                parsed = list(map(_fromisoformat, values))
            except ValueError:
                pass
            else:
                if set(map(_tzinfo, parsed)) == {zone}:
                    return parsed
        return list(map(one, values))

    return column


def decode_json_value(raw: Any) -> Any:
    """A raw JSON value (``JSONExtractRaw``) as SQLite's ``json_extract`` returns it.

    Missing keys and JSON null are NULL, strings are text, true/false are 1/0, numbers are
    numbers, and objects and arrays are minified JSON text.
    """
    if raw is None or raw == "":
        return None
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        return raw
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        return float(value)  # SQLite reads an integer past 64 bits as a REAL
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return value


def normalise_json(raw: Any) -> Any:
    """JSON text as ``json.dumps`` writes it (the REST route's form of an object column), so a
    column reads the same by either route; text that is not JSON is kept."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.dumps(json.loads(raw))
    except ValueError:
        return raw


def decode_number(answer: Any) -> Any:
    """A row-typed number (`pushdown_numbers.Num`) as SQLite's value: HogQL answers it as
    ``(integer or NULL, real or NULL, overflow, text or NULL)``; the INTEGER when there is one,
    else the REAL, else the text (MIN/MAX of a property). An integer SUM past Int64 stops
    SQLite with "integer overflow", so it stops here too."""
    if not isinstance(answer, (list, tuple)):
        return answer
    whole, real, overflow, text = (list(answer) + [None] * 4)[:4]
    if overflow not in (None, 0, "0", False):
        raise OperationalError(
            "integer overflow: the SUM of this column's integers is past the 64-bit range",
            {"reason": "integer overflow"},
            suggestion="Use total() or CAST the values AS REAL to add them as floats.",
        )
    if whole is not None:
        return int(whole)
    if real is not None:
        number = float(real)
        # SQLite has no NaN: a REAL operation giving one (inf - inf) gives NULL.
        return None if number != number else number
    return text


def sqlite_round(digits: int) -> Callable[[Any], Any]:
    """SQLite's ``round(x, digits)`` of a REAL (3.54's func.c): half away from zero; with digits,
    through its ``%!.*f`` printing, which rounds the double's decimal expansion, read back."""

    def one(value: Any) -> Any:
        if value is None:
            return None
        number = float(value)
        if number != number or abs(number) > 4503599627370496.0:
            return number
        if digits <= 0:
            return float(int(number + (-0.5 if number < 0 else 0.5)))
        exact = decimal.Decimal(number)
        # SQLite decodes at most 26 significant digits, then rounds the last kept digit half up.
        kept = exact.quantize(decimal.Decimal(1).scaleb(exact.adjusted() - 25),
                              rounding=decimal.ROUND_HALF_UP) if exact else exact  # fmt: skip
        rounded = kept.quantize(decimal.Decimal(1).scaleb(-digits), rounding=decimal.ROUND_HALF_UP)
        return float(rounded)

    return one

"""Bind parameters: their text and binary forms as the Python values the DB-API binds.

Types follow the parameter's OID (the client's, or the one Describe reported): integers and
floats, booleans, timestamps (aware, UTC when no offset is given), dates, UUIDs as text, bytea,
JSON/JSONB text, numeric (int when whole), time and interval as text (the DB-API has no such
types), and one-dimensional arrays as JSON text (what the catalog's arrays are).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import struct
import uuid
from typing import Any

from posthog_dbapi.pgwire.binvalues import decode_interval, decode_numeric, decode_time
from posthog_dbapi.pgwire.codec import (
    ARRAY_ELEMENTS,
    FLOAT_STRUCTS,
    INT_STRUCTS,
    OID,
    PG_EPOCH,
    PG_EPOCH_DATE,
    TEXT_TYPES,
    TYPE_NAMES,
)
from posthog_dbapi.types import bool_from_text, parse_timestamp

__all__ = ["decode_param", "parse_array_text"]


def _number(number: decimal.Decimal) -> int | float:
    return int(number) if number == number.to_integral_value() else float(number)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def parse_array_text(text: str) -> list[str | None]:
    """The elements of a one-dimensional PostgreSQL array literal (``{a,"b c",NULL}``)."""
    body = text.strip()
    if body.startswith("[") and "=" in body:
        body = body.split("=", 1)[1]
    if not (body.startswith("{") and body.endswith("}")):
        raise ValueError(f"malformed array literal: {text!r}")
    body = body[1:-1]
    items: list[str | None] = []
    i = 0
    while i < len(body):
        if body[i] == '"':
            i += 1
            chars = []
            while i < len(body) and body[i] != '"':
                if body[i] == "\\":
                    i += 1
                chars.append(body[i])
                i += 1
            items.append("".join(chars))
            i += 1
        else:
            end = body.find(",", i)
            end = len(body) if end == -1 else end
            raw = body[i:end].strip()
            items.append(None if raw.upper() == "NULL" else raw)
            i = end
        if i < len(body) and body[i] == ",":
            i += 1
    return items


def _decode_binary_array(data: bytes) -> list[Any]:
    ndim, _flags, element = struct.unpack_from("!iiI", data)
    if ndim == 0:
        return []
    if ndim != 1:
        raise ValueError("only one-dimensional array parameters are supported")
    count, _lower = struct.unpack_from("!ii", data, 12)
    pos = 20
    items: list[Any] = []
    for _ in range(count):
        (size,) = struct.unpack_from("!i", data, pos)
        pos += 4
        if size < 0:
            items.append(None)
            continue
        items.append(_jsonable(decode_param(data[pos : pos + size], element, 1)))
        pos += size
    return items


def decode_param(data: bytes | None, oid: int, fmt: int) -> Any:
    """A Bind parameter as the Python value the DB-API binds."""
    if data is None:
        return None
    if fmt == 1:
        if oid in INT_STRUCTS:
            (value,) = struct.unpack(INT_STRUCTS[oid], data)
            return int(value)
        if oid in FLOAT_STRUCTS:
            (fvalue,) = struct.unpack(FLOAT_STRUCTS[oid], data)
            return float(fvalue)
        if oid == OID.BOOL:
            return data != b"\x00"
        if oid in (OID.TIMESTAMP, OID.TIMESTAMPTZ):
            (micros,) = struct.unpack("!q", data)
            return PG_EPOCH + dt.timedelta(microseconds=micros)
        if oid == OID.DATE:
            (days,) = struct.unpack("!i", data)
            return PG_EPOCH_DATE + dt.timedelta(days=days)
        if oid == OID.UUID:
            return str(uuid.UUID(bytes=data))
        if oid == OID.BYTEA:
            return data
        if oid == OID.JSONB:
            return data[1:].decode("utf-8")
        if oid == OID.NUMERIC:
            return _number(decode_numeric(data))
        if oid == OID.TIME:
            return decode_time(data).isoformat()
        if oid == OID.INTERVAL:
            return decode_interval(data)
        if oid in ARRAY_ELEMENTS:
            return json.dumps(_decode_binary_array(data))
        if oid in TEXT_TYPES or oid == 0:
            return data.decode("utf-8")
        raise ValueError(f"binary parameters of type {TYPE_NAMES.get(oid, oid)} are not supported")
    text = data.decode("utf-8")
    if oid in (OID.REGCLASS, OID.REGTYPE) and not text.strip().isdigit():
        return text  # a name; the catalog's pg_regclass/pg_regtype look it up
    if oid in INT_STRUCTS:
        return int(text)
    if oid in FLOAT_STRUCTS:
        return float(text)
    if oid == OID.NUMERIC:
        return _number(decimal.Decimal(text))
    if oid in ARRAY_ELEMENTS:
        element = ARRAY_ELEMENTS[oid]
        items = [decode_param(None if v is None else v.encode(), element, 0)
                 for v in parse_array_text(text)]  # fmt: skip
        return json.dumps([_jsonable(v) for v in items])
    if oid == OID.BOOL:
        return bool_from_text(text)
    if oid in (OID.TIMESTAMP, OID.TIMESTAMPTZ):
        return parse_timestamp(text)
    if oid == OID.DATE:
        return dt.date.fromisoformat(text.strip())
    if oid == OID.BYTEA and text.startswith("\\x"):
        return bytes.fromhex(text[2:])
    return text

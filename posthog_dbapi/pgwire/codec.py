"""The PostgreSQL v3 wire format: framing, the messages the server sends, and value codecs.

Reading: ``read_startup`` (length-prefixed, no type byte) and ``read_message`` (type byte and
length). ``Reader`` walks a message body. Writing: ``Writer`` collects backend messages and
flushes them in one ``sendall``. ``encode_value`` writes a result value in text or binary
format (every built-in type the server sends, arrays included); ``paramcodec`` reads parameters.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import struct
import uuid
from collections.abc import Sequence
from typing import Any, BinaryIO, Protocol

from posthog_dbapi.pgwire.binvalues import (
    encode_interval,
    encode_numeric,
    encode_time,
    interval_text,
)
from posthog_dbapi.types import parse_timestamp

__all__ = [
    "ARRAY_ELEMENTS",
    "FLOAT_STRUCTS",
    "INT_STRUCTS",
    "OID",
    "TEXT_TYPES",
    "TYPE_NAMES",
    "TYPE_SIZES",
    "ProtocolError",
    "Reader",
    "Writer",
    "encode_value",
    "read_message",
    "read_startup",
]

PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
PG_EPOCH_DATE = dt.date(2000, 1, 1)


class OID:
    """Type OIDs of the built-in PostgreSQL types this server sends or accepts."""

    BOOL = 16
    BYTEA = 17
    CHAR = 18
    NAME = 19
    INT8 = 20
    INT2 = 21
    INT4 = 23
    REGPROC = 24
    TEXT = 25
    OID = 26
    JSON = 114
    FLOAT4 = 700
    FLOAT8 = 701
    UNKNOWN = 705
    BPCHAR = 1042
    VARCHAR = 1043
    DATE = 1082
    TIME = 1083
    TIMESTAMP = 1114
    TIMESTAMPTZ = 1184
    INTERVAL = 1186
    NUMERIC = 1700
    REGCLASS = 2205
    REGTYPE = 2206
    UUID = 2950
    JSONB = 3802
    INT2VECTOR = 22
    OIDVECTOR = 30
    INT2_ARRAY = 1005
    TEXT_ARRAY = 1009
    CHAR_ARRAY = 1002
    OID_ARRAY = 1028


TYPE_NAMES: dict[int, str] = {
    OID.BOOL: "bool", OID.BYTEA: "bytea", OID.CHAR: "char", OID.NAME: "name", OID.INT8: "int8",
    OID.INT2: "int2", OID.INT4: "int4", OID.REGPROC: "regproc", OID.TEXT: "text", OID.OID: "oid",
    OID.JSON: "json", OID.FLOAT4: "float4", OID.FLOAT8: "float8", OID.UNKNOWN: "unknown",
    OID.BPCHAR: "bpchar", OID.VARCHAR: "varchar", OID.DATE: "date", OID.TIME: "time",
    OID.TIMESTAMP: "timestamp", OID.TIMESTAMPTZ: "timestamptz", OID.NUMERIC: "numeric",
    OID.REGCLASS: "regclass", OID.UUID: "uuid", OID.JSONB: "jsonb", OID.INTERVAL: "interval",
    OID.REGTYPE: "regtype", OID.INT2VECTOR: "int2vector", OID.OIDVECTOR: "oidvector",
}  # fmt: skip

TYPE_SIZES: dict[int, int] = {
    OID.BOOL: 1, OID.CHAR: 1, OID.NAME: 64, OID.INT8: 8, OID.INT2: 2, OID.INT4: 4,
    OID.REGPROC: 4, OID.OID: 4, OID.FLOAT4: 4, OID.FLOAT8: 8, OID.DATE: 4, OID.TIME: 8,
    OID.TIMESTAMP: 8, OID.TIMESTAMPTZ: 8, OID.REGCLASS: 4, OID.UUID: 16, OID.INTERVAL: 16,
    OID.REGTYPE: 4,
}  # fmt: skip

INT_STRUCTS = {
    OID.INT2: "!h", OID.INT4: "!i", OID.INT8: "!q", OID.OID: "!I", OID.REGCLASS: "!I",
    OID.REGTYPE: "!I",
}  # fmt: skip
FLOAT_STRUCTS = {OID.FLOAT4: "!f", OID.FLOAT8: "!d"}
TEXT_TYPES = {
    OID.TEXT, OID.VARCHAR, OID.BPCHAR, OID.NAME, OID.CHAR, OID.UNKNOWN, OID.JSON, OID.NUMERIC,
}  # fmt: skip
# The array types results carry (catalog arrays are JSON text): element type of each.
ARRAY_ELEMENTS = {
    OID.INT2_ARRAY: OID.INT2, OID.TEXT_ARRAY: OID.TEXT, OID.CHAR_ARRAY: OID.CHAR,
    OID.OID_ARRAY: OID.OID, OID.INT2VECTOR: OID.INT2, OID.OIDVECTOR: OID.OID,
    1000: OID.BOOL, 1001: OID.BYTEA, 1003: OID.NAME, 1007: OID.INT4, 1014: OID.BPCHAR,
    1015: OID.VARCHAR, 1016: OID.INT8, 1021: OID.FLOAT4, 1022: OID.FLOAT8,
    1115: OID.TIMESTAMP, 1182: OID.DATE, 1185: OID.TIMESTAMPTZ, 1231: OID.NUMERIC,
    2951: OID.UUID,
}  # fmt: skip


class ProtocolError(Exception):
    """The client broke the protocol (bad framing, unknown message); the connection ends."""


class _Stream(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


def _read_exact(stream: _Stream | BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if data is None or len(data) < size:
        raise EOFError("the client closed the connection")
    return bytes(data)


def read_startup(stream: _Stream | BinaryIO) -> bytes:
    """The body of a startup-phase packet (StartupMessage, SSLRequest, CancelRequest)."""
    (length,) = struct.unpack("!i", _read_exact(stream, 4))
    if length < 8 or length > 10_000:
        raise ProtocolError(f"invalid startup packet length {length}")
    return _read_exact(stream, length - 4)


def read_message(stream: _Stream | BinaryIO) -> tuple[bytes, bytes]:
    """One frontend message: its type byte and its body."""
    head = _read_exact(stream, 5)
    kind = head[:1]
    (length,) = struct.unpack("!i", head[1:])
    if length < 4 or length > 1 << 30:
        raise ProtocolError(f"invalid message length {length}")
    return kind, _read_exact(stream, length - 4)


class Reader:
    """Sequential reads from one message body."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def int16(self) -> int:
        (value,) = struct.unpack_from("!h", self.data, self.pos)
        self.pos += 2
        return int(value)

    def int32(self) -> int:
        (value,) = struct.unpack_from("!i", self.data, self.pos)
        self.pos += 4
        return int(value)

    def cstring(self) -> str:
        end = self.data.index(b"\0", self.pos)
        value = self.data[self.pos : end].decode("utf-8")
        self.pos = end + 1
        return value

    def take(self, size: int) -> bytes:
        if self.pos + size > len(self.data):
            raise ProtocolError("message shorter than its fields")
        value = self.data[self.pos : self.pos + size]
        self.pos += size
        return value

    def rest(self) -> bytes:
        value = self.data[self.pos :]
        self.pos = len(self.data)
        return value


class Writer:
    """Backend messages, buffered until ``flush``."""

    def __init__(self, send: Any) -> None:
        self._send = send
        self._buffer: list[bytes] = []

    def message(self, kind: bytes, body: bytes = b"") -> None:
        self._buffer.append(kind + struct.pack("!i", len(body) + 4) + body)

    def raw(self, data: bytes) -> None:
        self._buffer.append(data)

    def flush(self) -> None:
        if self._buffer:
            data = b"".join(self._buffer)
            self._buffer = []
            self._send(data)

    # --- the messages -------------------------------------------------------------------------

    def auth(self, code: int, payload: bytes = b"") -> None:
        self.message(b"R", struct.pack("!i", code) + payload)

    def parameter_status(self, name: str, value: str) -> None:
        self.message(b"S", _cstr(name) + _cstr(value))

    def backend_key_data(self, pid: int, secret: int) -> None:
        self.message(b"K", struct.pack("!ii", pid, secret))

    def ready(self, status: bytes) -> None:
        self.message(b"Z", status)

    def row_description(self, columns: Sequence[tuple[str, int]], formats: Sequence[int]) -> None:
        body = [struct.pack("!h", len(columns))]
        for index, (name, oid) in enumerate(columns):
            size = TYPE_SIZES.get(oid, -1)
            body.append(_cstr(name) + struct.pack("!ihihih", 0, 0, oid, size, -1, formats[index]))
        self.message(b"T", b"".join(body))

    def data_row(self, values: Sequence[bytes | None]) -> None:
        parts = [struct.pack("!h", len(values))]
        for value in values:
            if value is None:
                parts.append(b"\xff\xff\xff\xff")
            else:
                parts.append(struct.pack("!i", len(value)) + value)
        self.message(b"D", b"".join(parts))

    def command_complete(self, tag: str) -> None:
        self.message(b"C", _cstr(tag))

    def parameter_description(self, oids: Sequence[int]) -> None:
        self.message(
            b"t", struct.pack("!h", len(oids)) + b"".join(struct.pack("!I", o) for o in oids)
        )

    def error(self, fields: dict[str, str], *, notice: bool = False) -> None:
        body = b"".join(key.encode() + _cstr(value) for key, value in fields.items()) + b"\0"
        self.message(b"N" if notice else b"E", body)


def _cstr(value: str) -> bytes:
    return value.encode("utf-8") + b"\0"


def format_formats(count: int, formats: Sequence[int]) -> list[int]:
    """Per-column format codes from a Bind message's list (none, one for all, or one each)."""
    if not formats:
        return [0] * count
    if len(formats) == 1:
        return [formats[0]] * count
    if len(formats) != count:
        raise ProtocolError(f"{len(formats)} format codes for {count} columns")
    return list(formats)


# --- values out -----------------------------------------------------------------------------


def _array_items(value: Any) -> list[Any]:
    if isinstance(value, str):
        loaded = json.loads(value) if value.startswith("[") else value.split()
        return list(loaded)
    return list(value)


def _array_text(value: Any, element: int) -> str:
    parts = []
    for item in _array_items(value):
        if item is None:
            parts.append("NULL")
            continue
        text = _text(item, element)
        if text == "" or re.search(r'[{},"\\\s]', text) or text.upper() == "NULL":
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        parts.append(text)
    return "{" + ",".join(parts) + "}"


def _array_binary(value: Any, element: int) -> bytes:
    items = _array_items(value)
    head = struct.pack("!iii", 1 if items else 0, int(None in items), element)
    if items:
        head += struct.pack("!ii", len(items), 1)
    body = []
    for item in items:
        if item is None:
            body.append(struct.pack("!i", -1))
        else:
            data = _binary(item, element)
            body.append(struct.pack("!i", len(data)) + data)
    return head + b"".join(body)


def _text(value: Any, oid: int) -> str:
    if oid in (OID.INT2VECTOR, OID.OIDVECTOR):
        return " ".join(str(item) for item in _array_items(value))
    if oid in ARRAY_ELEMENTS:
        return _array_text(value, ARRAY_ELEMENTS[oid])
    if oid == OID.INTERVAL:
        return interval_text(value)
    if isinstance(value, bool):
        return "t" if value else "f"
    if oid == OID.BOOL and isinstance(value, (int, float)):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        if oid == OID.TIMESTAMP and value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\x" + bytes(value).hex()
    return str(value)


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    return parse_timestamp(str(value))


def _binary(value: Any, oid: int) -> bytes:
    if oid in ARRAY_ELEMENTS:
        return _array_binary(value, ARRAY_ELEMENTS[oid])
    if oid in INT_STRUCTS:
        return struct.pack(INT_STRUCTS[oid], int(value))
    if oid in FLOAT_STRUCTS:
        return struct.pack(FLOAT_STRUCTS[oid], float(value))
    if oid == OID.BOOL:
        return b"\x01" if value else b"\x00"
    if oid in (OID.TIMESTAMP, OID.TIMESTAMPTZ):
        delta = _as_datetime(value) - PG_EPOCH
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        return struct.pack("!q", micros)
    if oid == OID.DATE:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
        if isinstance(day, dt.datetime):
            day = day.date()
        return struct.pack("!i", (day - PG_EPOCH_DATE).days)
    if oid == OID.UUID:
        return uuid.UUID(str(value)).bytes
    if oid == OID.BYTEA:
        return (
            bytes(value)
            if isinstance(value, (bytes, bytearray, memoryview))
            else str(value).encode()
        )
    if oid == OID.JSONB:
        return b"\x01" + _text(value, oid).encode("utf-8")
    if oid == OID.NUMERIC:
        return encode_numeric(value)
    if oid == OID.TIME:
        return encode_time(value)
    if oid == OID.INTERVAL:
        return encode_interval(value)
    return _text(value, oid).encode("utf-8")


def encode_value(value: Any, oid: int, fmt: int) -> bytes | None:
    """A result value in text (0) or binary (1) format; ``None`` is SQL NULL."""
    if value is None:
        return None
    if fmt == 1:
        return _binary(value, oid)
    return _text(value, oid).encode("utf-8")

"""``COPY ... TO STDOUT``: the statement's parts, and its rows in text, CSV and binary format.

ADBC's libpq driver fetches every result with ``COPY (query) TO STDOUT (FORMAT binary)``;
psql's ``\\copy`` and many ETL tools use the text and CSV forms. ``parse_copy`` reads
``COPY (query) TO STDOUT [WITH] (options)``, ``COPY table [(columns)] TO STDOUT`` and the old
``WITH CSV HEADER`` / ``BINARY`` spellings; ``CopyOut.encode_row`` writes one row in the chosen
format (binary values use the codec's binary encodings, keyed by the columns' type OIDs).
``COPY ... FROM`` (loading data) is not offered: PostHog's tables take rows through INSERT.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from posthog_dbapi.exceptions import DataError, NotSupportedError, ProgrammingError
from posthog_dbapi.pgwire.codec import Writer, encode_value

__all__ = ["BINARY_HEADER", "BINARY_TRAILER", "CopyOut", "parse_copy", "send_copy"]

BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
BINARY_TRAILER = struct.pack("!h", -1)

_COPY = re.compile(r"^\s*COPY\b", re.I)
_TABLE = re.compile(
    r'^\s*COPY\s+(?P<table>(?:"(?:[^"]|"")+"|\w+)(?:\s*\.\s*(?:"(?:[^"]|"")+"|\w+))?)'
    r"\s*(?:\((?P<columns>[^)]*)\))?\s*(?P<rest>.*)$",
    re.I | re.S,
)
_TARGET = re.compile(r"^\s*TO\s+STDOUT\b\s*(?P<options>.*?)\s*;?\s*$", re.I | re.S)


@dataclass(frozen=True)
class CopyOut:
    query: str
    """The SELECT whose rows are copied (PostgreSQL dialect)."""
    format: str = "text"
    """``text``, ``csv`` or ``binary``."""
    header: bool = False
    delimiter: str = "\t"
    null: str = "\\N"
    quote: str = '"'

    @property
    def format_code(self) -> int:
        return 1 if self.format == "binary" else 0

    def header_row(self, names: Sequence[str]) -> bytes | None:
        if not self.header or self.format != "csv":
            return None
        return (self.delimiter.join(self._csv(name) for name in names) + "\n").encode()

    def encode_row(self, row: Sequence[Any], oids: Sequence[int]) -> bytes:
        if self.format == "binary":
            parts = [struct.pack("!h", len(row))]
            for value, oid in zip(row, oids):
                data = encode_value(value, oid, 1)
                parts.append(b"\xff\xff\xff\xff" if data is None else struct.pack("!i", len(data)))
                if data is not None:
                    parts.append(data)
            return b"".join(parts)
        fields = []
        for value, oid in zip(row, oids):
            data = encode_value(value, oid, 0)
            if data is None:
                fields.append(self.null)
            elif self.format == "csv":
                fields.append(self._csv(data.decode("utf-8")))
            else:
                fields.append(_escape_text(data.decode("utf-8"), self.delimiter))
        return (self.delimiter.join(fields) + "\n").encode("utf-8")

    def _csv(self, text: str) -> str:
        special = (self.delimiter, self.quote, "\n", "\r")
        if text == self.null or text == "" or any(c in text for c in special):
            return self.quote + text.replace(self.quote, self.quote * 2) + self.quote
        return text


def _escape_text(text: str, delimiter: str) -> str:
    text = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    return text.replace("\t", "\\t").replace(delimiter, "\\" + delimiter)


def _closing_paren(sql: str, start: int) -> int:
    depth = 0
    i = start
    while i < len(sql):
        ch = sql[i]
        if ch in ("'", '"'):
            end = sql.find(ch, i + 1)
            while end != -1 and end + 1 < len(sql) and sql[end + 1] == ch:
                end = sql.find(ch, end + 2)
            if end == -1:
                break
            i = end + 1
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ProgrammingError("COPY's query has no closing parenthesis.")


def _options(text: str) -> dict[str, str]:
    text = re.sub(r"^\s*WITH\b", "", text, flags=re.I).strip()
    options: dict[str, str] = {}
    if text.startswith("("):
        for item in re.split(r",(?=(?:[^']*'[^']*')*[^']*$)", text.strip()[1:-1]):
            words = item.strip().split(None, 1)
            if words:
                value = words[1].strip() if len(words) > 1 else "true"
                options[words[0].lower()] = value.strip("'")
        return options
    # PostgreSQL 9.0's spelling: WITH BINARY | CSV [HEADER] [DELIMITER 'x'] [NULL 'x']
    tokens = re.findall(r"'(?:[^']|'')*'|\S+", text)
    i = 0
    while i < len(tokens):
        word = tokens[i].lower()
        if word in ("binary", "csv"):
            options["format"] = word
        elif word == "header":
            options["header"] = "true"
        elif word in ("delimiter", "null", "quote") and i + 1 < len(tokens):
            i += 1
            options[word] = tokens[i].strip("'")
        elif word != "as":
            raise ProgrammingError(f"COPY option {tokens[i]!r} is not supported.")
        i += 1
    return options


def parse_copy(sql: str) -> CopyOut | None:
    """The COPY TO STDOUT ``sql`` asks for, or ``None`` when ``sql`` is not a COPY."""
    if not _COPY.match(sql):
        return None
    body = sql.strip().rstrip(";")
    after = re.sub(r"^\s*COPY\s*", "", body, flags=re.I)
    if after.startswith("("):
        start = body.index("(")
        end = _closing_paren(body, start)
        query, rest = body[start + 1 : end], body[end + 1 :]
    else:
        match = _TABLE.match(body)
        if match is None:
            raise ProgrammingError("Cannot read the COPY statement.")
        columns = match.group("columns")
        query = f"SELECT {columns.strip() if columns else '*'} FROM {match.group('table')}"
        rest = match.group("rest")
    target = _TARGET.match(rest)
    if target is None:
        raise NotSupportedError(
            "Only COPY ... TO STDOUT is supported.",
            suggestion="PostHog tables take new rows through INSERT, not COPY FROM.",
        )
    options = _options(target.group("options"))
    fmt = options.get("format", "text").lower()
    if fmt not in ("text", "csv", "binary"):
        raise ProgrammingError(f"COPY format {fmt!r} is not recognized.")
    csv = fmt == "csv"
    return CopyOut(
        query=query,
        format=fmt,
        header=options.get("header", "false").lower() in ("true", "on", "1", "match"),
        delimiter=options.get("delimiter", "," if csv else "\t"),
        null=options.get("null", "" if csv else "\\N"),
        quote=options.get("quote", '"'),
    )


def send_copy(
    writer: Writer, copy: CopyOut, columns: Sequence[tuple[str, int]], rows: Iterable[Sequence[Any]]
) -> int:
    """CopyOutResponse, one CopyData per row, CopyDone; returns the number of rows sent."""
    oids = [oid for _, oid in columns]
    code = copy.format_code
    writer.message(b"H", struct.pack(f"!bh{len(oids)}h", code, len(oids), *[code] * len(oids)))
    # PostgreSQL sends the binary header in the first row's CopyData (libpq readers such as
    # ADBC's expect it there); a CSV header line is a CopyData of its own.
    prefix = BINARY_HEADER if copy.format == "binary" else b""
    header = copy.header_row([name for name, _ in columns])
    if header is not None:
        writer.message(b"d", header)
    sent = 0
    for row in rows:
        try:
            writer.message(b"d", prefix + copy.encode_row(row, oids))
        except (ValueError, TypeError, OverflowError) as exc:
            raise DataError(f"Cannot send a value: {exc}") from exc
        prefix = b""
        sent += 1
        if sent % 500 == 0:
            writer.flush()
    if copy.format == "binary":
        writer.message(b"d", prefix + BINARY_TRAILER)
    writer.message(b"c")
    return sent

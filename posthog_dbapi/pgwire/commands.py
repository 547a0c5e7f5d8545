"""Statements the server answers itself, without SQL tables: SET, SHOW, transactions, cursors.

``split`` cuts a simple-query string into statements (on semicolons outside quotes and
comments); ``parse_command`` recognises the session commands a client sends around its queries
(pgjdbc's ``SET extra_float_digits``, Metabase's ``show timezone;``, psycopg's ``BEGIN`` and
``DECLARE ... CURSOR`` / ``FETCH FORWARD n``) and returns ``None`` for everything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Command", "parse_command", "split"]


@dataclass(frozen=True)
class Command:
    kind: str
    """set, show, begin, commit, rollback, tag (answer with ``tag`` only), declare, fetch, close."""
    name: str = ""
    value: str = ""
    tag: str = ""
    count: int | None = None
    """FETCH's row count; ``None`` is ALL."""


_SET = re.compile(
    r"^SET\s+(?:SESSION\s+|LOCAL\s+)?(?P<name>[\w.]+)\s*(?:=|\bTO\b)\s*(?P<value>.*?)\s*$",
    re.I | re.S,
)
_SET_TIMEZONE = re.compile(r"^SET\s+(?:SESSION\s+|LOCAL\s+)?TIME\s+ZONE\s+(?P<value>.*?)\s*$", re.I)
_SHOW = re.compile(r"^SHOW\s+(?P<name>[\w.]+(?:\s+\w+)*)\s*$", re.I)
_DECLARE = re.compile(
    r"^DECLARE\s+(?P<name>\"(?:[^\"]|\"\")+\"|\w+)\s+(?:BINARY\s+)?(?:INSENSITIVE\s+)?"
    r"(?:(?:NO\s+)?SCROLL\s+)?CURSOR\s+(?:(?:WITH|WITHOUT)\s+HOLD\s+)?FOR\s+(?P<query>.*)$",
    re.I | re.S,
)
_FETCH = re.compile(
    r"^FETCH\s+(?:(?:FORWARD|NEXT)\s+)?(?P<count>ALL|\d+)?\s*(?:FORWARD\s+(?P<count2>ALL|\d+)\s*)?"
    r"(?:FROM|IN)\s+(?P<name>\"(?:[^\"]|\"\")+\"|\w+)\s*$",
    re.I,
)
_DEALLOCATE = re.compile(
    r"^DEALLOCATE\s+(?:PREPARE\s+)?(?P<name>\"(?:[^\"]|\"\")+\"|\w+)\s*$", re.I
)
_CLOSE = re.compile(r"^CLOSE\s+(?P<name>\"(?:[^\"]|\"\")+\"|\w+)\s*$", re.I)
_TAGS = [
    (re.compile(r"^(BEGIN|START\s+TRANSACTION)\b", re.I), "begin", "BEGIN"),
    (re.compile(r"^(COMMIT|END)\b", re.I), "commit", "COMMIT"),
    (re.compile(r"^ROLLBACK\s+(WORK\s+|TRANSACTION\s+)?TO\b", re.I), "tag", "ROLLBACK"),
    (re.compile(r"^(ROLLBACK|ABORT)\b", re.I), "rollback", "ROLLBACK"),
    (re.compile(r"^SAVEPOINT\b", re.I), "tag", "SAVEPOINT"),
    (re.compile(r"^RELEASE\b", re.I), "tag", "RELEASE"),
    (re.compile(r"^SET\s+(SESSION\s+CHARACTERISTICS|TRANSACTION)\b", re.I), "tag", "SET"),
    (re.compile(r"^RESET\b", re.I), "tag", "RESET"),
    (re.compile(r"^DISCARD\b", re.I), "tag", "DISCARD ALL"),
    (re.compile(r"^LISTEN\b", re.I), "tag", "LISTEN"),
    (re.compile(r"^UNLISTEN\b", re.I), "tag", "UNLISTEN"),
    (re.compile(r"^CLOSE\s+ALL\b", re.I), "close", "CLOSE CURSOR"),
]


def _unquote(name: str) -> str:
    if name.startswith('"'):
        return name[1:-1].replace('""', '"')
    return name.lower()


def _strip_comments(sql: str) -> str:
    return re.sub(r"^\s*(--[^\n]*\n\s*)*", "", sql).strip().rstrip(";").strip()


def parse_command(sql: str) -> Command | None:
    """The session command ``sql`` is, or ``None`` when it is a query for the tables."""
    text = _strip_comments(sql)
    for pattern, kind, tag in _TAGS:
        if pattern.match(text):
            return Command(kind, tag=tag)
    match = _SET_TIMEZONE.match(text)
    if match:
        return Command("set", "timezone", _unquote_value(match.group("value")), tag="SET")
    match = _SET.match(text)
    if match:
        return Command("set", match.group("name").lower(), _unquote_value(match.group("value")),
                       tag="SET")  # fmt: skip
    match = _SHOW.match(text)
    if match:
        return Command("show", " ".join(match.group("name").lower().split()))
    match = _DECLARE.match(text)
    if match:
        return Command("declare", _unquote(match.group("name")), match.group("query"),
                       tag="DECLARE CURSOR")  # fmt: skip
    match = _FETCH.match(text)
    if match:
        raw = match.group("count") or match.group("count2") or "1"
        count = None if raw.upper() == "ALL" else int(raw)
        return Command("fetch", _unquote(match.group("name")), tag="FETCH", count=count)
    match = _DEALLOCATE.match(text)
    if match:
        # psqlODBC deallocates a statement's plan before preparing the next under its name.
        name = match.group("name")
        return Command("deallocate", "" if name.upper() == "ALL" else _unquote(name),
                       tag="DEALLOCATE ALL" if name.upper() == "ALL" else "DEALLOCATE")  # fmt: skip
    match = _CLOSE.match(text)
    if match:
        return Command("close", _unquote(match.group("name")), tag="CLOSE CURSOR")
    return None


def _unquote_value(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    return value


def split(sql: str) -> list[str]:
    """Statements of a simple query, split on semicolons outside quotes and comments."""
    out: list[str] = []
    start = i = 0
    n = len(sql)
    while i < n:
        ch = sql[i]
        if ch in ("'", '"'):
            end = sql.find(ch, i + 1)
            while end != -1 and end + 1 < n and sql[end + 1] == ch:
                end = sql.find(ch, end + 2)
            i = n if end == -1 else end + 1
            continue
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end == -1 else end + 1
            continue
        if sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end == -1 else end + 2
            continue
        if ch == "$":
            match = re.match(r"\$(\w*)\$", sql[i:])
            if match and not match.group(1).isdigit():
                end = sql.find(match.group(0), i + len(match.group(0)))
                i = n if end == -1 else end + len(match.group(0))
                continue
        if ch == ";":
            out.append(sql[start:i])
            start = i + 1
        i += 1
    out.append(sql[start:])
    return [s for s in out if _strip_comments(s + "\n")]

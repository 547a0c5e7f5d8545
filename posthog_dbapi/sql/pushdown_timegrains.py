"""SQLite date expressions (strftime, datetime and Superset's time grains) in HogQL terms.

SQLite's ``datetime(...)`` and ``strftime(...)`` return text; their HogQL form is
``formatDateTime(<moment>, <format>)`` with the same text, so grouping, ordering and comparing
give the same answers by either route. Every time grain of `posthog_dbapi.sql.grains`
(Superset's, PostgreSQL's ``date_trunc``) is recognised by its SQLite form and sent as its
``toStartOf...`` function; other truncating ``strftime`` formats and ``start of`` modifiers
become ``formatDateTime`` of the moment.
"""

from __future__ import annotations

import re
from typing import cast

import sqlglot
from sqlglot import exp

from posthog_dbapi.sql.grains import GRAINS

__all__ = [
    "COMPUTED",
    "DATETIME_FORMAT",
    "datetime_call",
    "modifier_chain",
    "strftime_format",
    "strftime_parts",
]

DATETIME_FORMAT = "%Y-%m-%d %H:%i:%S"
# SQLite strftime specifiers with an identical ClickHouse formatDateTime specifier (the second
# row: SQLite 3.44 and later, checked on both engines: ISO week and year, 12-hour clock, ...).
_SPECIFIERS = {"Y": "%Y", "m": "%m", "d": "%d", "H": "%H", "M": "%i", "S": "%S", "j": "%j",
               "w": "%w", "%": "%%",
               "F": "%F", "T": "%T", "R": "%R", "u": "%u", "V": "%V", "G": "%G", "I": "%I",
               "p": "%p"}  # fmt: skip
COMPUTED = frozenset({"W", "U", "s", "e", "k", "l", "f"})
"""Specifiers with no formatDateTime letter of the same text, computed from the moment instead
(see `posthog_dbapi.sql.pushdown_properties`): %W and %U, the week of the year counted from its
first Monday or Sunday; %s, seconds since 1970; %e, %k and %l, the day of the month, the hour
and the 12-hour clock's hour, space-padded (ClickHouse pads its own with zeros by default).
%f, the seconds to the millisecond, from the milliseconds SQLite reads out of the stored text.
%J (the Julian day as "%.16g") stays in SQLite: HogQL has no printf to round a double to 16
significant digits as SQLite's own formatter does."""


def strftime_parts(fmt: str) -> list[str] | None:
    """`fmt` split into formatDateTime formats and the `COMPUTED` specifiers (as ``"%W"``,
    ``"%s"``), or None when a specifier has no exact equivalent."""
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%" and fmt[i + 1 : i + 2] in COMPUTED:
            if current:
                parts.append("".join(current))
                current = []
            parts.append(fmt[i : i + 2])
            i += 2
            continue
        if ch == "%":
            if i + 1 >= len(fmt) or fmt[i + 1] not in _SPECIFIERS:
                return None
            current.append(_SPECIFIERS[fmt[i + 1]])
            i += 2
            continue
        current.append(ch)
        i += 1
    if current:
        parts.append("".join(current))
    return parts


_GRAIN_FORMAT = re.compile(r"%Y-%m-%d(?:[T ](%H|00):(%M|00)(?::(%S|00))?)?")
_START_OF = {"start of day": "toStartOfDay", "start of month": "toStartOfMonth",
             "start of year": "toStartOfYear"}  # fmt: skip


def strftime_format(fmt: str) -> str | None:
    """The formatDateTime format giving the same text as SQLite's strftime(fmt), or None."""
    out: list[str] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%":
            if i + 1 >= len(fmt) or fmt[i + 1] not in _SPECIFIERS:
                return None
            out.append(_SPECIFIERS[fmt[i + 1]])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _unwrap(node: exp.Expression) -> exp.Expression:
    return node.this if isinstance(node, exp.TsOrDsToTimestamp) else node


def _same(node: exp.Expression, template: str, column: exp.Expression) -> bool:
    text = template.format(col=column.sql(dialect="sqlite"))
    try:
        expected = sqlglot.parse_one(text, read="sqlite")
    except sqlglot.errors.SqlglotError:
        return False
    return bool(expected.sql(dialect="sqlite") == node.sql(dialect="sqlite"))


def datetime_call(node: exp.Anonymous) -> tuple[exp.Expression, str | None, str] | None:
    """For a ``DATETIME(...)`` call: (timestamp expression, toStartOf function or None,
    formatDateTime format), or None when the form is not one with an exact equivalent."""
    args = node.expressions
    first = args[0]
    column = _unwrap(first.this) if isinstance(first, exp.TimeToStr) else first
    for grain in GRAINS:
        if grain.hogql is not None and _same(node, grain.sqlite, column):
            return column, grain.hogql, DATETIME_FORMAT
    if len(args) == 1:
        if isinstance(first, exp.TimeToStr):
            fmt = first.args.get("format")
            if not (isinstance(fmt, exp.Literal) and fmt.is_string):
                return None
            match = _GRAIN_FORMAT.fullmatch(fmt.this)
            if not match:
                return None
            text = fmt.this.replace("T", " ")
            # datetime() completes a shorter text to seconds.
            if len(text) == len("%Y-%m-%d"):
                text += " 00:00:00"
            elif match.group(3) is None:
                text += ":00"
            mapped = strftime_format(text)
            return (_unwrap(first.this), None, mapped) if mapped else None
        return first, None, DATETIME_FORMAT
    modifier = args[1]
    if not (isinstance(modifier, exp.Literal) and modifier.is_string):
        return None
    if len(args) == 2 and modifier.this.lower() in _START_OF:
        return first, _START_OF[modifier.this.lower()], DATETIME_FORMAT
    return None


_SHIFT = re.compile(r"([+-]?)(\d+) (day|hour|minute|second|month|year)s?")
_ADD = {"day": "addDays", "hour": "addHours", "minute": "addMinutes", "second": "addSeconds",
        "month": "addMonths", "year": "addYears"}  # fmt: skip


def modifier_chain(moment: exp.Expression, modifiers: list[str]) -> exp.Expression | None:
    """`moment` moved by SQLite date modifiers, as HogQL; None for a modifier without an exact
    equivalent. Understood: ``start of day|month|year``, ``weekday N`` and ``±N days|hours|
    minutes|seconds``; ``±N months|years`` only from the first of a month, since SQLite rolls
    Jan 31 + 1 month over into March where ClickHouse stops at February's last day."""
    first_of_month = False
    for raw in modifiers:
        text = " ".join(raw.lower().split())
        if text in _START_OF:
            moment = cast(exp.Expression, exp.func(_START_OF[text], moment))
            first_of_month = text != "start of day"
            continue
        if text.startswith("weekday ") and text[8:] in tuple("0123456"):
            # SQLite weekdays count from Sunday = 0; toDayOfWeek from Monday = 1 (Sunday 7).
            sunday_based = exp.func("modulo", exp.func("toDayOfWeek", moment.copy()),
                                    exp.Literal.number(7))  # fmt: skip
            ahead = exp.func("modulo", exp.Sub(this=exp.Literal.number(int(text[8:]) + 7),
                                               expression=sunday_based),
                             exp.Literal.number(7))  # fmt: skip
            moment = cast(exp.Expression, exp.func("addDays", moment, ahead))
            first_of_month = False
            continue
        match = _SHIFT.fullmatch(text)
        if match is None:
            return None
        sign, amount, unit = match.groups()
        if unit in ("month", "year") and not first_of_month:
            return None
        count = int(amount)
        step: exp.Expression = exp.Literal.number(count)
        if sign == "-" and count:
            step = exp.Neg(this=step)
        moment = cast(exp.Expression, exp.func(_ADD[unit], moment, step))
        first_of_month = first_of_month and unit in ("month", "year")
    return moment

"""PostgreSQL's date functions in the SQLite forms the DB-API's HogQL pushdown recognises.

``truncate`` writes ``date_trunc`` as the grain table's SQLite forms (`posthog_dbapi.sql.grains`;
weeks start on Monday, as in PostgreSQL); ``extract_part`` writes ``extract``/``date_part`` as
``strftime``; ``shift`` writes ``col ± INTERVAL '…'`` as ``DATETIME(col, '±N unit')`` (folded
to a literal when ``col`` is one); ``iso`` writes a moment in the tables' own text format.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

import sqlglot
from sqlglot import exp

from posthog_dbapi.exceptions import NotSupportedError, ProgrammingError
from posthog_dbapi.sql.grains import GRAINS, postgres_grain
from posthog_dbapi.types import parse_timestamp, utc_text

__all__ = ["extract_part", "iso", "parse_moment", "shift", "truncate", "unit_name"]

_EXTRACT = {
    "year": "CAST(STRFTIME('%Y', {c}) AS INTEGER)",
    "month": "CAST(STRFTIME('%m', {c}) AS INTEGER)",
    "day": "CAST(STRFTIME('%d', {c}) AS INTEGER)",
    "hour": "CAST(STRFTIME('%H', {c}) AS INTEGER)",
    "minute": "CAST(STRFTIME('%M', {c}) AS INTEGER)",
    "second": "CAST(STRFTIME('%S', {c}) AS INTEGER)",
    "dow": "CAST(STRFTIME('%w', {c}) AS INTEGER)",
    "isodow": "((CAST(STRFTIME('%w', {c}) AS INTEGER) + 6) % 7 + 1)",
    "doy": "CAST(STRFTIME('%j', {c}) AS INTEGER)",
    "quarter": "((CAST(STRFTIME('%m', {c}) AS INTEGER) + 2) / 3)",
    "week": "CAST(STRFTIME('%W', {c}) AS INTEGER)",
    "epoch": "CAST(STRFTIME('%s', {c}) AS INTEGER)",
}
_UNITS = {
    "second": ("seconds", 1), "minute": ("minutes", 1), "hour": ("hours", 1),
    "day": ("days", 1), "week": ("days", 7), "month": ("months", 1), "quarter": ("months", 3),
    "year": ("years", 1),
}  # fmt: skip


def unit_name(text: str) -> str:
    unit = text.strip().lower().rstrip("s")
    aliases = {"sec": "second", "min": "minute", "hr": "hour", "mon": "month", "yr": "year",
               "millisecond": "second", "dayofweek": "dow", "dayofyear": "doy"}  # fmt: skip
    return aliases.get(unit, unit)


def iso(moment: dt.datetime) -> str:
    return utc_text(moment)


def parse_moment(text: str) -> dt.datetime:
    return parse_timestamp(text)


def _template(
    table: dict[str, str],
    unit: str,
    column: exp.Expression,
    what: str,
    units: list[str] | None = None,
) -> exp.Expression:
    if unit not in table:
        raise NotSupportedError(
            f"{what} with unit {unit!r} is not supported.",
            suggestion="Use one of: " + ", ".join(units or table),
        )
    text = table[unit].format(c=column.sql(dialect="sqlite"))
    return cast(exp.Expression, sqlglot.parse_one(text, read="sqlite"))


def _interval_parts(interval: exp.Interval) -> list[tuple[float, str]]:
    text = interval.this.name if interval.this is not None else ""
    if interval.unit is not None and interval.unit.name:
        text = f"{text} {interval.unit.name}"
    tokens = text.replace(",", " ").split()
    parts: list[tuple[float, str]] = []
    for amount, unit in zip(tokens[::2], tokens[1::2]):
        base = unit_name(unit)
        if base not in _UNITS:
            raise NotSupportedError(f"INTERVAL unit {unit!r} is not supported.")
        modifier, factor = _UNITS[base]
        parts.append((float(amount) * factor, modifier))
    if not parts:
        raise ProgrammingError(f"Cannot read INTERVAL '{text}'.", suggestion="Write '7 days'.")
    return parts


def shift(base: exp.Expression, interval: exp.Interval, subtract: bool) -> exp.Expression:
    parts = _interval_parts(interval)
    sign = -1 if subtract else 1
    if [(sign * amount, unit) for amount, unit in parts] == [(-1.0, "days")]:
        sunday = _sunday_week(base)
        if sunday is not None:
            return sunday
    if isinstance(base, exp.Literal) and base.is_string:
        try:
            moment = parse_moment(base.this)
        except ValueError:
            moment = None
        if moment is not None and all(
            unit in ("seconds", "minutes", "hours", "days") for _, unit in parts
        ):
            for amount, unit in parts:
                moment += sign * dt.timedelta(**{unit: amount})
            return exp.Literal.string(iso(moment))
    modifiers = [exp.Literal.string(f"{sign * amount:+g} {unit}") for amount, unit in parts]
    return exp.Anonymous(this="DATETIME", expressions=[base, *modifiers])


def _sunday_week(base: exp.Expression) -> exp.Expression | None:
    """``date_trunc('week', col + INTERVAL '1 day') - INTERVAL '1 day'`` (Metabase's week
    starting on Sunday, its default, over PostgreSQL's Monday weeks) as the grain table's Sunday
    week of ``col``: the same text for every value (the Monday on or before the next day, less a
    day, is the Sunday on or before the day), and a form the HogQL pushdown sends as one
    ``toStartOfWeek``, where the nested form stays local."""
    while isinstance(base, exp.Paren):
        base = base.this
    inner = base.expressions[0] if isinstance(base, exp.Anonymous) and base.expressions else None
    while isinstance(inner, exp.Paren):
        inner = inner.this
    if not (isinstance(inner, exp.Anonymous) and inner.name.upper() == "DATETIME"):
        return None
    if [e.sql(dialect="sqlite") for e in inner.expressions[1:]] != ["'+1 days'"]:
        return None
    if base.sql(dialect="sqlite") != truncate("week", base.expressions[0]).sql(dialect="sqlite"):
        return None
    column = inner.expressions[0]
    grain = next(g for g in GRAINS if g.name == "week starting Sunday")
    text = grain.sqlite.format(col=column.sql(dialect="sqlite"))
    return cast(exp.Expression, sqlglot.parse_one(text, read="sqlite"))


def truncate(unit: str, column: exp.Expression) -> exp.Expression:
    grain = postgres_grain(unit_name(unit))
    if grain is None:
        units = [g.postgres for g in GRAINS if g.postgres]
        return _template({}, unit_name(unit), column, "date_trunc", units)
    text = grain.sqlite.format(col=column.sql(dialect="sqlite"))
    return cast(exp.Expression, sqlglot.parse_one(text, read="sqlite"))


def extract_part(unit: str, column: exp.Expression) -> exp.Expression:
    return _template(_EXTRACT, unit_name(unit), column, "extract")

"""The time grains: one table for every front end that truncates a timestamp.

Each grain is a SQLite expression (statements run in SQLite, so that is what front ends write)
and the HogQL function that gives the same start, so the planner pushes a time series down as
one Query API request whichever front end wrote it:

- Superset and SQLAlchemy read the ISO 8601 durations (`superset_grains`, used by
  ``dialect/time_grains.py``; Superset's own weeks start on Sunday);
- the PostgreSQL front writes ``date_trunc(unit, ...)`` with PostgreSQL's units
  (`postgres_grain`; PostgreSQL's weeks start on Monday);
- the HogQL planner recognises every grain's SQLite form (`grain_of`).

Both engines give the start as text ``YYYY-MM-DD HH:MM:SS`` (SQLite's ``DATETIME``; HogQL's
``formatDateTime`` of the start), so the two routes compare, group and order alike.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GRAINS", "Grain", "postgres_grain", "superset_grains"]


@dataclass(frozen=True)
class Grain:
    name: str
    sqlite: str
    """The SQLite expression, ``{col}`` standing for the timestamp."""
    hogql: str | None
    """The HogQL function giving the grain's start (None: ``formatDateTime`` to the second
    truncates by itself)."""
    superset: tuple[str, ...] = ()
    """Superset's ISO 8601 names of this grain."""
    postgres: str | None = None
    """PostgreSQL's ``date_trunc`` unit for this grain."""


_SUNDAY = "DATETIME({col}, 'start of day', -STRFTIME('%w', {col}) || ' days')"
_MONDAY = "DATETIME({col}, 'start of day', -((STRFTIME('%w', {col}) + 6) % 7) || ' days')"

GRAINS: tuple[Grain, ...] = (
    Grain("second", "DATETIME(STRFTIME('%Y-%m-%dT%H:%M:%S', {col}))", None, ("PT1S",), "second"),
    Grain(
        "minute",
        "DATETIME(STRFTIME('%Y-%m-%dT%H:%M:00', {col}))",
        "toStartOfMinute",
        ("PT1M",),
        "minute",
    ),
    Grain(
        "hour", "DATETIME(STRFTIME('%Y-%m-%dT%H:00:00', {col}))", "toStartOfHour", ("PT1H",), "hour"
    ),
    Grain("day", "DATETIME({col}, 'start of day')", "toStartOfDay", ("P1D",), "day"),
    # toStartOfWeek's default mode 0 starts weeks on Sunday.
    Grain("week starting Sunday", _SUNDAY, "toStartOfWeek", ("P1W", "1969-12-28T00:00:00Z/P1W")),
    Grain("week starting Monday", _MONDAY, "toMonday", ("1969-12-29T00:00:00Z/P1W",), "week"),
    Grain("month", "DATETIME({col}, 'start of month')", "toStartOfMonth", ("P1M",), "month"),
    Grain(
        "quarter",
        "DATETIME({col}, 'start of month', PRINTF('-%d month', (STRFTIME('%m', {col}) - 1) % 3))",
        "toStartOfQuarter",
        ("P3M",),
        "quarter",
    ),
    Grain("year", "DATETIME({col}, 'start of year')", "toStartOfYear", ("P1Y",), "year"),
)


def superset_grains() -> dict[str | None, str]:
    """Superset's time-grain expressions by ISO 8601 duration (None: the column itself)."""
    grains: dict[str | None, str] = {None: "{col}"}
    for grain in GRAINS:
        grains.update(dict.fromkeys(grain.superset, grain.sqlite))
    return grains


def postgres_grain(unit: str) -> Grain | None:
    """The grain of PostgreSQL's ``date_trunc(unit, ...)`` (unit already normalised), or None."""
    return next((g for g in GRAINS if g.postgres == unit), None)

"""Every time grain of every entry point plans as pushdown: one HogQL request.

The grains live in one table (`posthog_dbapi.sql.grains`); Superset and SQLAlchemy read its
ISO 8601 names (`dialect/time_grains.py`), the PostgreSQL front writes ``date_trunc`` units
with it (`pgwire/timefuncs.py`) and the planner recognises its SQLite forms. Each entry point's
every unit must come out as a HogQL plan whose start function is the grain's. (The rows of each
Superset grain are compared with SQLite's in tests/dialect/test_time_grains.py; the PostgreSQL
week through serve-pg in tests/pgwire/test_week_grain.py.)
"""

from __future__ import annotations

import pytest

from posthog_dbapi.catalog import RESOURCES
from posthog_dbapi.dialect.time_grains import TIME_GRAINS
from posthog_dbapi.pgwire.translate import Translator
from posthog_dbapi.sql.grains import GRAINS, Grain
from posthog_dbapi.sql.pushdown_planner import PushdownPlan, plan

SUPERSET = [(name, grain) for grain in GRAINS for name in grain.superset]
POSTGRES = [(grain.postgres, grain) for grain in GRAINS if grain.postgres]


def _planned(sql: str) -> PushdownPlan:
    chosen = plan(sql, [], pushdown="required")
    assert isinstance(chosen, PushdownPlan) and chosen.mode == "single"
    return chosen


@pytest.mark.parametrize(("name", "grain"), SUPERSET, ids=[n for n, _ in SUPERSET])
def test_every_superset_grain_plans_as_pushdown(name: str, grain: Grain) -> None:
    expr = TIME_GRAINS[name].format(col="timestamp")
    chosen = _planned(f"SELECT {expr} AS t, count(*) FROM events GROUP BY 1 ORDER BY 1")
    start = grain.hogql
    assert start is None or f"{start}(" in chosen.hogql


@pytest.mark.parametrize(("unit", "grain"), POSTGRES, ids=[u for u, _ in POSTGRES])
def test_every_postgres_date_trunc_unit_plans_as_pushdown(unit: str, grain: Grain) -> None:
    translator = Translator(RESOURCES, user="u", database="1", version="PostgreSQL 14.0")
    sqlite = translator.translate(
        f"SELECT date_trunc('{unit}', timestamp) AS t, count(*) FROM events GROUP BY 1"
    ).sql
    chosen = _planned(sqlite)
    start = grain.hogql
    assert start is None or f"{start}(" in chosen.hogql


def test_postgres_and_superset_weeks_differ_by_their_first_day() -> None:
    # PostgreSQL's week starts on Monday, Superset's P1W on Sunday: two grains, two functions.
    monday = next(g for g in GRAINS if g.postgres == "week")
    sunday = next(g for g in GRAINS if "P1W" in g.superset)
    assert (monday.hogql, sunday.hogql) == ("toMonday", "toStartOfWeek")

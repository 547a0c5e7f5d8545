"""Metabase's own statements, as its PostgreSQL driver writes them, sent with psycopg.

Each statement is copied from the shape Metabase's source produces (file named beside each
test); the answers are compared with the DB-API's, and each question over ``events`` must cost
one Query API request (it runs inside PostHog as HogQL). Metabase always writes fully qualified
``"public"."events"."timestamp"`` and sets the session time zone first. The sync statements
Metabase sends over pgjdbc (tables, privileges, enums, fields, foreign keys) are driven through
pgjdbc itself in ``test_jdbc.py``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import psycopg
import pytest

from posthog_dbapi.dbapi import Connection

from .conftest import Wire
from .test_clients import QUERY_PATH, as_day, daily_counts, dbapi_rows

TS = '"public"."events"."timestamp"'
EVENTS = '"public"."events"'
WHERE = f"WHERE {EVENTS}.\"event\" = '$pageview'"


def run_question(wire: Wire, sql: str) -> list[tuple[Any, ...]]:
    """Metabase's session setup, then the question; asserts it was one Query API request."""
    with psycopg.connect(wire.conninfo(), autocommit=True) as conn:
        # src/metabase/driver/postgres.clj sets the report time zone on each connection
        conn.execute("SET SESSION TIMEZONE TO 'UTC'")
        conn.execute("SELECT 1")
        wire.emulator.app.request_log.clear()
        rows = conn.execute(sql).fetchall()
        assert [r.path for r in wire.emulator.app.request_log] == [QUERY_PATH]
    return rows


def hourly_counts(dbapi: Connection) -> dict[int, int]:
    rows = dbapi_rows(
        dbapi,
        "SELECT CAST(strftime('%H', timestamp) AS INTEGER), count(*) FROM events "
        "WHERE event = ? GROUP BY 1",
        ("$pageview",),
    )
    return dict(rows)


def by_day(rows: list[tuple[Any, ...]]) -> dict[dt.date, int]:
    return {as_day(d): n for d, n in rows}


def test_count_by_day_and_by_week(wire: Wire, dbapi: Connection) -> None:
    days = daily_counts(dbapi)

    # src/metabase/driver/postgres.clj: (defmethod sql.qp/date [:postgres :day]) casts to date
    day = f"CAST({TS} AS date)"
    rows = run_question(
        wire,
        f'SELECT {day} AS "timestamp", COUNT(*) AS "count" FROM {EVENTS} {WHERE} '
        f"GROUP BY {day} ORDER BY {day} ASC",
    )
    assert by_day(rows) == days

    # src/metabase/driver/postgres.clj: (defmethod sql.qp/date [:postgres :week]) is
    # date_trunc('week'); db-start-of-week is :monday, and sql.qp/adjust-start-of-week moves it
    # to Metabase's default Sunday with INTERVAL arithmetic
    for shift, week_start in ((0, 0), (1, 6)):
        week = f"DATE_TRUNC('week', {TS})"
        if shift:
            week = f"(DATE_TRUNC('week', ({TS} + INTERVAL '1 day')) + INTERVAL '-1 day')"
        rows = run_question(
            wire,
            f'SELECT {week} AS "timestamp", COUNT(*) AS "count" FROM {EVENTS} {WHERE} '
            f"GROUP BY {week} ORDER BY {week} ASC",
        )
        weeks: Counter[dt.date] = Counter()
        for when, count in days.items():
            weeks[when - dt.timedelta(days=(when.weekday() - week_start) % 7)] += count
        assert by_day(rows) == dict(weeks)
        assert {d.weekday() for d in by_day(rows)} == {week_start}


# src/metabase/driver/postgres.clj: (defmethod sql.qp/date [:postgres :hour-of-day]) is
# extract-integer: CAST(extract(hour from ...) AS integer)
def test_count_by_hour_of_day_extract(wire: Wire, dbapi: Connection) -> None:
    hour = f"CAST(extract(hour from {TS}) AS integer)"
    rows = run_question(
        wire,
        f'SELECT {hour} AS "timestamp", COUNT(*) AS "count" FROM {EVENTS} {WHERE} '
        f"GROUP BY {hour} ORDER BY {hour} ASC",
    )
    assert dict(rows) == hourly_counts(dbapi)
    assert [h for h, _ in rows] == sorted(h for h, _ in rows)


# src/metabase/driver/postgres.clj: (defmethod sql.qp/date [:postgres :hour]) is date_trunc('hour')
# and a relative filter adds INTERVALs to now() (a window wide enough to hold every event)
def test_count_by_hour_in_a_relative_window(wire: Wire, dbapi: Connection) -> None:
    hour = f"DATE_TRUNC('hour', {TS})"
    rows = run_question(
        wire,
        f'SELECT {hour} AS "timestamp", COUNT(*) AS "count" FROM {EVENTS} '
        f"WHERE {TS} >= DATE_TRUNC('hour', (NOW() + INTERVAL '-3650 day')) "
        f"AND {TS} < DATE_TRUNC('hour', (NOW() + INTERVAL '3650 day')) "
        f"GROUP BY {hour} ORDER BY {hour} ASC",
    )
    expected = dbapi_rows(
        dbapi,
        "SELECT DATETIME(STRFTIME('%Y-%m-%dT%H:00:00', timestamp)), count(*) FROM events "
        "GROUP BY 1 ORDER BY 1",
    )
    assert [(d.replace(tzinfo=None), n) for d, n in rows] == [
        (dt.datetime.fromisoformat(d), n) for d, n in expected
    ]


# src/metabase/driver/common/table_rows_sample.clj (fingerprinting reads a sample of rows) and
# field values: distinct values of a category column, ordered, limited
@pytest.mark.parametrize("column", ["event"])
def test_field_values_and_fingerprint_sample(wire: Wire, dbapi: Connection, column: str) -> None:
    distinct = run_question(
        wire,
        f'SELECT {EVENTS}."{column}" AS "{column}" FROM {EVENTS} GROUP BY {EVENTS}."{column}" '
        f'ORDER BY {EVENTS}."{column}" ASC LIMIT 1000',
    )
    expected = dbapi_rows(dbapi, f"SELECT DISTINCT {column} FROM events ORDER BY 1")
    assert distinct == expected
    with psycopg.connect(wire.conninfo(), autocommit=True) as conn:
        sample = conn.execute(
            f'SELECT {EVENTS}."uuid" AS "uuid", {EVENTS}."event" AS "event", '
            f'{EVENTS}."timestamp" AS "timestamp" FROM {EVENTS} LIMIT 10000'
        ).fetchall()
    assert len(sample) == min(
        10000, sum(n for (n,) in dbapi_rows(dbapi, "SELECT count(*) FROM events"))
    )

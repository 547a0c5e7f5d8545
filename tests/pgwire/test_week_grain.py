"""A weekly chart through serve-pg: PostgreSQL's ``date_trunc('week', ...)`` (weeks start on
Monday) is one HogQL request, with the rows SQLite computes for Monday weeks."""

from __future__ import annotations

import datetime as dt

import psycopg

import posthog_dbapi
from posthog_dbapi.sql.grains import GRAINS
from posthog_emulator import EmulatorServer

from .conftest import Wire


def test_a_postgres_weekly_chart_is_one_hogql_request(wire: Wire, emulator: EmulatorServer) -> None:
    with psycopg.connect(wire.conninfo(), autocommit=True) as conn:
        conn.execute("SELECT 1")  # login and catalog requests are done before counting
        emulator.app.request_log.clear()
        rows = conn.execute(
            "SELECT date_trunc('week', timestamp) AS week, count(*) FROM events "
            "GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert [r.path for r in emulator.app.request_log] == ["/api/projects/1/query/"]
    monday = next(g for g in GRAINS if g.postgres == "week").sqlite.format(col="timestamp")
    with posthog_dbapi.connect(emulator.url, emulator.api_key, emulator.project_id,
                               pushdown="off", query_cache_ttl=0) as local:  # fmt: skip
        expected = (
            local.cursor()
            .execute(f"SELECT {monday} AS week, count(*) FROM events GROUP BY 1 ORDER BY 1")
            .fetchall()
        )
    weeks = [(w.replace(tzinfo=None) if isinstance(w, dt.datetime) else w, n) for w, n in rows]
    assert weeks == [(dt.datetime.fromisoformat(w), n) for w, n in expected]
    assert all(w.weekday() == 0 for w, _ in weeks) and len(weeks) > 1

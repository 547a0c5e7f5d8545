"""The same SELECT by both routes: pushed down as HogQL, and in SQLite over the stored rows.

Each statement must take the HogQL route, and its rows must equal what SQLite computes over
every row of the tables, copied straight from the emulator's store by ``tests.oracle`` (as
multisets when the statement has no ORDER BY). It runs in three projects (UTC;
America/Los_Angeles, whose data spans a change to summer time; Asia/Kathmandu at +05:45), each
with both ``timezone`` settings: "UTC" must give UTC on both routes, "project" the project's own
calendar on both.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import pytest

from posthog_dbapi import PostHogDriver
from posthog_dbapi.adapters.hogql_adapter import scan
from posthog_dbapi.sql.pushdown_planner import Fallback, PushdownPlan, execute, plan
from posthog_dbapi.sql.pushdown_tables import HOGQL_BUILTIN_TABLES
from posthog_dbapi.sql.time_shape import local_times
from posthog_emulator import EmulatorServer
from tests.oracle import COLUMNS, stored_count
from tests.pushdown.conftest import ZONES, RouteCase, route_case

MID = "{mid}"  # replaced by a timestamp in the middle of the demo data
DAY = "{day}"  # replaced by the date (YYYY-MM-DD) of that timestamp

STATEMENTS: list[tuple[str, tuple[Any, ...]]] = [
    ("SELECT count(*) FROM events", ()),
    ("SELECT count(*) AS n FROM persons", ()),
    ("SELECT event, count(*) FROM events GROUP BY event", ()),
    (
        "SELECT event AS event, count(*) AS count FROM events GROUP BY event "
        "ORDER BY count DESC, event",
        (),
    ),
    ("SELECT count(DISTINCT distinct_id) FROM events", ()),
    ("SELECT count(DISTINCT person_id) AS people FROM events WHERE event = ?", ("$pageview",)),
    ("SELECT DISTINCT event FROM events", ()),
    ("SELECT event, count(*) FROM events GROUP BY 1 HAVING count(*) > 500", ()),
    ("SELECT event FROM events WHERE event IN ('purchase', 'signed_up') LIMIT 100000", ()),
    ("SELECT uuid, event FROM events WHERE event NOT IN (?, ?)", ("$pageview", "$autocapture")),
    ("SELECT uuid FROM events WHERE event LIKE '$PAGE%'", ()),
    ("SELECT uuid FROM events WHERE event NOT LIKE '%view'", ()),
    ("SELECT uuid, timestamp FROM events WHERE timestamp >= ?", (MID,)),
    ("SELECT uuid FROM events WHERE timestamp > ? AND timestamp <= ?", (DAY, MID)),
    ("SELECT uuid FROM events WHERE timestamp BETWEEN ? AND ?", (DAY, MID)),
    ("SELECT uuid FROM events WHERE timestamp < ?", (DAY + " 00:00:00.000000",)),
    ("SELECT count(*) FROM events WHERE timestamp = ?", (MID,)),
    ("SELECT count(*) FROM events WHERE timestamp != ?", (MID,)),
    ("SELECT min(timestamp), max(timestamp) FROM events", ()),
    ("SELECT min(timestamp) FROM events WHERE event = 'no such event'", ()),
    ("SELECT sum(length(event)), avg(length(distinct_id)) FROM events", ()),
    ("SELECT date(timestamp) AS day, count(*) FROM events GROUP BY day ORDER BY day", ()),
    ("SELECT strftime('%Y-%m', timestamp) AS m, count(*) FROM events GROUP BY m ORDER BY m", ()),
    (
        "SELECT DATETIME(STRFTIME('%Y-%m-%dT%H:%M:00', timestamp)) AS t, count(*) FROM events "
        "GROUP BY t ORDER BY t DESC LIMIT 20",
        (),
    ),
    (
        "SELECT DATETIME(STRFTIME('%Y-%m-%dT%H:00:00', timestamp)) AS t, count(*) FROM events "
        "GROUP BY t",
        (),
    ),
    ("SELECT DATETIME(timestamp, 'start of day') AS t, count(*) FROM events GROUP BY t", ()),
    (
        "SELECT DATETIME(timestamp, 'start of day', -strftime('%w', timestamp) || ' days') AS t, "
        "count(*) FROM events GROUP BY t ORDER BY t",
        (),
    ),
    ("SELECT DATETIME(timestamp, 'start of month') AS t, count(*) FROM events GROUP BY t", ()),
    (
        "SELECT DATETIME(timestamp, 'start of month', printf('-%d month', "
        "(strftime('%m', timestamp) - 1) % 3)) AS t, count(*) FROM events GROUP BY t",
        (),
    ),
    ("SELECT DATETIME(timestamp, 'start of year') AS t, count(*) FROM events GROUP BY t", ()),
    (
        "SELECT json_extract(properties, '$.plan') AS plan, count(*) FROM events "
        "WHERE json_extract(properties, '$.plan') IS NOT NULL GROUP BY event, plan",
        (),
    ),
    ("SELECT uuid, json_extract(properties, '$.revenue') FROM events WHERE event = 'purchase'", ()),
    ("SELECT uuid FROM events WHERE properties ->> '$.plan' = ?", ("pro",)),
    ("SELECT uuid FROM events WHERE properties ->> '$.plan' != 'free'", ()),
    (
        "SELECT uuid FROM events WHERE json_extract(properties, '$.currency') IS NULL "
        "AND event = 'purchase'",
        (),
    ),
    (
        "SELECT uuid FROM events "
        "WHERE json_extract(properties, '$.$browser') IN ('Chrome', 'Edge')",
        (),
    ),
    ("SELECT uuid FROM events WHERE json_extract(properties, '$.$browser') LIKE 'c%'", ()),
    ("SELECT count(*) FROM events WHERE json_extract(properties, '$.revenue') = '10'", ()),
    (
        "SELECT uuid, CASE WHEN event = '$pageview' THEN 'view' WHEN event LIKE '$%' THEN 'auto' "
        "ELSE 'custom' END AS kind FROM events",
        (),
    ),
    (
        "SELECT coalesce(NULL, event) AS e, upper(event), lower(distinct_id) "
        "FROM events LIMIT 60000",
        (),
    ),
    ("SELECT event || ':' || distinct_id AS k FROM events WHERE event = 'signed_up'", ()),
    ("SELECT substr(distinct_id, 1, 4) AS prefix, count(*) FROM events GROUP BY prefix", ()),
    (
        "SELECT count(*) * 100 / (SELECT count(*) FROM events) AS pct FROM events "
        "WHERE event = '$pageview'",
        (),
    ),
    ("SELECT count(*) * 1.0 / 7 FROM events", ()),
    ("SELECT CAST(count(*) AS REAL) / 3 AS third FROM events", ()),
    ("SELECT * FROM events WHERE event = 'signed_up'", ()),
    ("SELECT e.event, e.distinct_id FROM events AS e WHERE e.event = ?", ("$identify",)),
    ("SELECT uuid, timestamp FROM events ORDER BY timestamp DESC, uuid DESC LIMIT 25", ()),
    ("SELECT uuid FROM events ORDER BY uuid LIMIT 10 OFFSET 15", ()),
    ("SELECT uuid, event FROM events ORDER BY timestamp, uuid LIMIT 5 OFFSET 19990", ()),
    ("SELECT uuid FROM events ORDER BY event, timestamp, uuid", ()),
    (
        "SELECT event, n FROM (SELECT event, count(*) AS n FROM events GROUP BY event) AS t "
        "WHERE n > 100",
        (),
    ),
    (
        "WITH buyers AS (SELECT DISTINCT distinct_id FROM events WHERE event = 'purchase') "
        "SELECT count(*) FROM buyers",
        (),
    ),
    (
        "SELECT count(*) FROM events WHERE distinct_id IN "
        "(SELECT distinct_id FROM events WHERE event = 'signed_up')",
        (),
    ),
    (
        "SELECT id, created_at FROM persons "
        "WHERE json_extract(properties, '$.plan') = 'enterprise'",
        (),
    ),
    ("SELECT json_extract(properties, '$.country') AS c, count(*) FROM persons GROUP BY c", ()),
    ("SELECT is_identified, count(*) FROM persons GROUP BY is_identified", ()),
    ("SELECT id FROM persons ORDER BY created_at DESC, id LIMIT 30", ()),
    ("SELECT count(*) FROM persons WHERE created_at < ?", (MID,)),
    (
        "SELECT uuid FROM events WHERE (event = 'purchase' OR event = 'signed_up') "
        "AND NOT (distinct_id LIKE 'user\\_%')",
        (),
    ),
    ("SELECT count(*), sum(CASE WHEN event = 'purchase' THEN 1 ELSE 0 END) FROM events", ()),
    ("SELECT abs(-3), 7 / 2, -7 / 2, 5 / 0 FROM events LIMIT 1", ()),
    ("SELECT count(*) FROM events WHERE uuid = ?", ("not-a-uuid",)),
]


def _normal(value: Any, local: bool = False) -> Any:
    if isinstance(value, dt.datetime) and local:
        # The project's calendar: SQLite holds its wall-clock time (time_shape).
        return value.replace(tzinfo=None).isoformat()
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 9)
    return value


def _bind(params: tuple[Any, ...], mid: str, day: str) -> list[Any]:
    return [p.replace(MID, mid).replace(DAY, day) if isinstance(p, str) else p for p in params]


def _middle(db: sqlite3.Connection) -> tuple[str, str]:
    (count,) = db.execute("SELECT count(*) FROM events").fetchone()
    (mid,) = db.execute(
        "SELECT timestamp FROM events ORDER BY timestamp LIMIT 1 OFFSET ?", (count // 2,)
    ).fetchone()
    return mid, mid[:10]


def test_there_are_at_least_fifty_statements() -> None:
    assert len(STATEMENTS) >= 50


CASES = [(zone, tz) for zone in ZONES for tz in ("UTC", "project")]


@pytest.fixture(params=CASES, ids=[f"{z}-{tz}" for z, tz in CASES])
def case(
    request: pytest.FixtureRequest,
    route_cases: dict[tuple[str, str], RouteCase],
    emulator: EmulatorServer,
    zoned_server: EmulatorServer,
    fallback_db: sqlite3.Connection,
) -> RouteCase:
    zone, timezone = request.param
    return route_case(route_cases, zone, timezone, emulator, zoned_server, fallback_db)


@pytest.mark.parametrize(("sql", "params"), STATEMENTS, ids=[s[:60] for s, _ in STATEMENTS])
def test_pushdown_equals_sqlite(sql: str, params: tuple[Any, ...], case: RouteCase) -> None:
    bound = _bind(params, *_middle(case.fallback))
    with local_times(case.local):
        chosen = plan(sql, bound)
    assert isinstance(chosen, PushdownPlan), chosen
    result = execute(case.driver, chosen, page_size=4000)
    pushed = [tuple(_normal(v, case.local) for v in row) for row in result]
    cursor = case.fallback.execute(sql, bound)
    local = [tuple(_normal(v, case.local) for v in row) for row in cursor]
    names = [d[0] for d in result.description]
    assert names == [d[0] for d in cursor.description]
    if " ORDER BY " in sql.upper().rsplit(")", 1)[-1]:
        assert pushed == local
    else:
        assert sorted(pushed, key=repr) == sorted(local, key=repr)


@pytest.mark.parametrize("table", list(COLUMNS))
def test_the_oracle_holds_every_stored_row(
    table: str, fallback_db: sqlite3.Connection, emulator: EmulatorServer
) -> None:
    (copied,) = fallback_db.execute(f'SELECT count(*) FROM "{table}"').fetchone()
    assert copied == stored_count(emulator.app.projects[1].events, table) > 0


@pytest.mark.parametrize("table", list(COLUMNS))
def test_the_keyset_scan_reads_every_stored_row_once(
    table: str, driver: PostHogDriver, fallback_db: sqlite3.Connection
) -> None:
    # The pager the SQLite route reads event-scale tables with, against the store's own rows.
    names = [name for name, _ in COLUMNS[table]]
    scanned = [
        tuple(_normal(row[name]) for name in names)
        for row in scan(driver, HOGQL_BUILTIN_TABLES[table], page_size=7000)
    ]
    quoted = ", ".join(f'"{name}"' for name in names)
    stored = [tuple(_normal(v) for v in row) for row in fallback_db.execute(
        f'SELECT {quoted} FROM "{table}"'
    )]  # fmt: skip
    assert len(scanned) == len(set(scanned)) == len(stored)
    assert sorted(scanned, key=repr) == sorted(stored, key=repr)


def test_the_zoned_projects_cross_a_dst_change(
    route_cases: dict[tuple[str, str], RouteCase],
    emulator: EmulatorServer,
    zoned_server: EmulatorServer,
    fallback_db: sqlite3.Connection,
) -> None:
    la = route_case(route_cases, "America/Los_Angeles", "project", emulator, zoned_server,
                    fallback_db)  # fmt: skip
    first, last = la.driver.query("SELECT min(timestamp), max(timestamp) FROM events").results[0]
    winter, summer = (dt.datetime.fromisoformat(v).utcoffset() for v in (first, last))
    assert (winter, summer) == (dt.timedelta(hours=-8), dt.timedelta(hours=-7))


def test_an_aggregate_over_all_events_is_one_request(
    driver: PostHogDriver, emulator: EmulatorServer
) -> None:
    chosen = plan("SELECT event, count(*) FROM events GROUP BY event")
    assert isinstance(chosen, PushdownPlan)
    emulator.app.request_log.clear()
    rows = list(execute(driver, chosen))
    assert sum(r[1] for r in rows) == emulator.app.projects[1].events.event_count()
    queries = [r for r in emulator.app.request_log if "/query" in r.path]
    assert len(queries) == 1


@pytest.mark.parametrize(
    "sql",
    [
        # round() outside a result column (the client rounds those by SQLite's rule).
        "SELECT event FROM events WHERE round(length(event) / 3.0, 1) > 2",
        "SELECT e.event FROM events e JOIN dashboards d ON d.name = e.event",
        "SELECT event, ntile(4) OVER (ORDER BY timestamp) FROM events",
        "SELECT event FROM events WHERE event GLOB distinct_id",
        "SELECT a.event FROM events a LEFT JOIN events b ON a.uuid = b.uuid OR a.event = b.event",
        "SELECT count(*) FROM events e WHERE EXISTS (SELECT 1 FROM persons p WHERE p.id > 0)",
        "SELECT uuid FROM events WHERE distinct_id = (SELECT distinct_id FROM events LIMIT 1)",
        "SELECT random() FROM events",
        "SELECT properties FROM events ORDER BY json_extract(properties, '$.plan')",
        "SELECT count(*) FROM events WHERE event = :name",
    ],
)
def test_statements_without_an_exact_equivalent_fall_back(sql: str) -> None:
    chosen = plan(sql, [])
    assert isinstance(chosen, Fallback)
    assert chosen.reason

"""Joins, funnels, retention, subqueries, set operations, windows and SQLite functions: the same
SELECT by both routes, and what it costs.

Each statement must take the HogQL route as one Query API request (all fit one 50,000-row
answer), its HogQL must parse in PostHog's own parser, and its rows must equal what SQLite
computes over every row of the tables (as multisets when there is no outer ORDER BY).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import pytest

from posthog_dbapi import PostHogDriver
from posthog_dbapi.sql.pushdown_planner import PushdownPlan, execute, plan
from posthog_emulator import EmulatorServer

from .both_routes import rows_on_both_routes
from .hogql_grammar import parse_error

SHAPES: list[str] = [
    # Joins among HogQL tables.
    "SELECT e.event, count(*) FROM events e JOIN persons p ON e.person_id = p.id GROUP BY e.event",
    "SELECT count(*) FROM events e JOIN person_distinct_ids d ON e.distinct_id = d.distinct_id",
    'SELECT e.event, count(*) FROM events e JOIN sessions s ON e."$session_id" = s.session_id '
    "GROUP BY e.event",
    'SELECT count(*), count(s.session_id) FROM events e LEFT JOIN sessions s ON e."$session_id" '
    '= s.session_id AND s."$pageview_count" > 3',
    "SELECT p.id, count(e.uuid) FROM persons p LEFT JOIN events e ON e.person_id = p.id "
    "AND e.event = 'purchase' GROUP BY p.id",
    "SELECT p.id, e.uuid, e.timestamp FROM persons p LEFT JOIN events e ON e.person_id = p.id "
    "AND e.event = 'purchase' WHERE p.is_identified = 0",
    "SELECT count(*), count(e.uuid), count(p.id) FROM (SELECT * FROM events "
    "WHERE event = 'purchase') e RIGHT JOIN persons p ON e.person_id = p.id",
    "SELECT count(*), count(a.distinct_id), count(b.distinct_id) FROM (SELECT DISTINCT "
    "distinct_id FROM events WHERE event = 'purchase') a FULL JOIN (SELECT DISTINCT distinct_id "
    "FROM events WHERE event = 'signed_up') b ON a.distinct_id = b.distinct_id",
    # RIGHT and FULL joins after another join: every earlier table is padded.
    "SELECT count(*), count(e.uuid), count(p.id), count(d.distinct_id) FROM (SELECT * FROM "
    "events WHERE event = 'purchase') e JOIN persons p ON e.person_id = p.id "
    "RIGHT JOIN person_distinct_ids d ON d.person_id = p.id",
    "SELECT count(*), count(a.distinct_id), count(b.distinct_id), count(c.distinct_id) FROM "
    "(SELECT DISTINCT distinct_id FROM events WHERE event = 'purchase') a LEFT JOIN (SELECT "
    "DISTINCT distinct_id FROM events WHERE event = 'signed_up') b ON a.distinct_id = "
    "b.distinct_id FULL JOIN (SELECT DISTINCT distinct_id FROM events WHERE event = '$pageview') "
    "c ON c.distinct_id = b.distinct_id",
    "SELECT p.is_identified, count(*), count(e.uuid) FROM persons p LEFT JOIN events e "
    "ON e.person_id = p.id AND e.event = 'signed_up' RIGHT JOIN person_distinct_ids d "
    "ON d.person_id = p.id GROUP BY 1",
    "SELECT a.event, b.is_identified FROM (SELECT DISTINCT event FROM events) a "
    "CROSS JOIN (SELECT DISTINCT is_identified FROM persons) b",
    "SELECT e.event, count(*) FROM events e, persons p WHERE e.person_id = p.id "
    "AND p.is_identified = 1 GROUP BY e.event",
    "SELECT json_extract(p.properties, '$.plan') AS plan, count(*) FROM events e "
    "JOIN persons p ON e.person_id = p.id GROUP BY plan",
    "SELECT count(*) FROM person_distinct_ids a JOIN person_distinct_ids b "
    "ON a.person_id = b.person_id AND a.distinct_id < b.distinct_id",
    "SELECT e.uuid, p.id FROM events e JOIN persons p ON e.person_id = p.id "
    "ORDER BY e.timestamp DESC, e.uuid LIMIT 20",
    "SELECT d.person_id, count(*) AS n FROM events e JOIN person_distinct_ids d "
    "ON d.distinct_id = e.distinct_id WHERE e.event = 'purchase' GROUP BY d.person_id "
    "ORDER BY n DESC, d.person_id LIMIT 10",
    # Funnels and retention (self-joins).
    "SELECT count(DISTINCT e1.distinct_id) FROM events e1 JOIN events e2 "
    "ON e1.distinct_id = e2.distinct_id AND e2.timestamp > e1.timestamp "
    "WHERE e1.event = '$pageview' AND e2.event = 'signed_up'",
    "SELECT count(DISTINCT a.distinct_id), count(DISTINCT b.distinct_id), "
    "count(DISTINCT c.distinct_id) FROM events a LEFT JOIN events b "
    "ON b.distinct_id = a.distinct_id AND b.event = 'signed_up' LEFT JOIN events c "
    "ON c.distinct_id = a.distinct_id AND c.event = 'purchase' WHERE a.event = '$pageview'",
    "SELECT date(f.first_seen) AS cohort, count(DISTINCT e.distinct_id) AS back FROM "
    "(SELECT distinct_id, min(timestamp) AS first_seen FROM events GROUP BY distinct_id) f "
    "JOIN events e ON e.distinct_id = f.distinct_id AND e.timestamp > f.first_seen "
    "GROUP BY cohort ORDER BY cohort",
    "SELECT f.distinct_id, f.first_seen FROM (SELECT distinct_id, min(timestamp) AS first_seen "
    "FROM events GROUP BY distinct_id) f ORDER BY f.first_seen, f.distinct_id LIMIT 15",
    # Subqueries: semi- and anti-joins, scalar subqueries, subquery LIMITs.
    "SELECT count(*) FROM events WHERE person_id IN (SELECT id FROM persons "
    "WHERE is_identified = 1)",
    "SELECT count(*) FROM events WHERE person_id NOT IN (SELECT id FROM persons "
    "WHERE is_identified = 1)",
    "SELECT count(*) FROM events e WHERE EXISTS (SELECT 1 FROM persons p "
    "WHERE p.id = e.person_id AND p.is_identified = 1)",
    "SELECT count(*) FROM persons p WHERE NOT EXISTS (SELECT 1 FROM events e "
    "WHERE e.person_id = p.id AND e.event = 'purchase')",
    "SELECT event, timestamp FROM events WHERE distinct_id = (SELECT distinct_id FROM events "
    "ORDER BY timestamp, uuid LIMIT 1)",
    "SELECT uuid FROM events WHERE timestamp = (SELECT max(timestamp) FROM events)",
    "SELECT count(*) FROM events WHERE distinct_id = (SELECT distinct_id FROM events "
    "WHERE event = 'no such event' ORDER BY timestamp LIMIT 1)",
    "SELECT count(*) FROM (SELECT * FROM events LIMIT 6000)",
    "SELECT count(*), min(t) FROM (SELECT timestamp AS t FROM events ORDER BY timestamp DESC "
    "LIMIT 100)",
    # Set operations.
    "SELECT distinct_id FROM events WHERE event = 'purchase' UNION SELECT distinct_id FROM events "
    "WHERE event = 'signed_up' ORDER BY 1 LIMIT 10",
    "SELECT event, count(*) FROM events GROUP BY event UNION ALL "
    "SELECT 'persons', count(*) FROM persons",
    "SELECT distinct_id FROM events WHERE event = 'purchase' INTERSECT "
    "SELECT distinct_id FROM events WHERE event = 'signed_up'",
    "SELECT count(*) FROM (SELECT distinct_id FROM events EXCEPT "
    "SELECT distinct_id FROM events WHERE event = '$pageview')",
    # Window functions.
    "SELECT uuid, row_number() OVER (PARTITION BY distinct_id ORDER BY timestamp, uuid) AS n "
    "FROM events WHERE event = 'purchase'",
    "SELECT event, count(*) AS n, rank() OVER (ORDER BY count(*) DESC) AS r FROM events "
    "GROUP BY event",
    "SELECT distinct_id, timestamp, count(*) OVER (PARTITION BY distinct_id) AS n, "
    "min(timestamp) OVER (PARTITION BY distinct_id) AS first FROM events WHERE event = 'signed_up'",
    # FILTER, typeof, GLOB, %, integer division, constants SQLite computes.
    "SELECT count(*) FILTER (WHERE event = 'purchase'), count(DISTINCT distinct_id) "
    "FILTER (WHERE event = 'signed_up') FROM events",
    "SELECT event, sum(length(distinct_id)) FILTER (WHERE distinct_id LIKE 'user%') FROM events "
    "GROUP BY event",
    "SELECT typeof(event), typeof(is_identified), count(*) FROM events, persons "
    "WHERE persons.id = events.person_id GROUP BY 1, 2",
    "SELECT count(*) FROM events WHERE event GLOB '$*'",
    "SELECT count(*) FROM events WHERE distinct_id GLOB 'user_[0-4]?'",
    "SELECT count(*) / 7, count(*) % 7, -count(*) % 7, length(event) % 3 AS r FROM events "
    "GROUP BY r",
    "SELECT count(*) FROM events WHERE timestamp > datetime('now', '-30 days')",
    "SELECT count(*) FROM events WHERE timestamp < date('now', 'start of month', '-1 month')",
    "SELECT julianday('2024-01-02') - julianday('2024-01-01') AS d, count(*) FROM events",
    "SELECT distinct_id, min(timestamp), max(timestamp) FROM events GROUP BY distinct_id",
    "SELECT strftime('%W', timestamp) AS w, strftime('week %W, %s s', timestamp) AS s, count(*) "
    "FROM events GROUP BY w, s",
    "SELECT date(timestamp, 'start of month', '+1 month') AS m, count(*) FROM events GROUP BY m",
    "SELECT DATETIME(timestamp, 'weekday 0', '-7 days') AS w, count(*) FROM events GROUP BY w",
    "SELECT datetime(timestamp, 'start of day', '+12 hours', '-30 minutes') AS t, count(*) "
    "FROM events GROUP BY t",
    "SELECT date(timestamp, 'weekday 1') AS w, count(*) FROM events GROUP BY w ORDER BY w",
    # Properties compared with numbers and defaulted, by SQLite's type rules.
    "SELECT count(*) FROM events WHERE json_extract(properties, '$.revenue') > 50",
    "SELECT uuid FROM events WHERE json_extract(properties, '$.revenue') <= 20",
    "SELECT count(*) FROM events WHERE json_extract(properties, '$.$browser') > 0",
    "SELECT coalesce(json_extract(properties, '$.plan'), 'none') AS plan, count(*) FROM events "
    "GROUP BY plan",
    # lower()/upper() of a property compared with text only a JSON string can give.
    "SELECT event, count(*) FROM events WHERE lower(json_extract(properties, '$.$browser')) "
    "= 'chrome' GROUP BY event",
    "SELECT upper(json_extract(properties, '$.plan')) != 'PRO' AS not_pro, "
    "'safari' = lower(json_extract(properties, '$.$browser')) AS safari, count(*) FROM events "
    "GROUP BY 1, 2",
]


def _normal(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 9)
    return value


def test_there_are_at_least_forty_shapes() -> None:
    assert len(SHAPES) >= 40


@pytest.mark.parametrize("sql", SHAPES, ids=[s[:70] for s in SHAPES])
def test_shape_is_one_request_with_sqlites_rows(
    sql: str, driver: PostHogDriver, fallback_db: sqlite3.Connection, emulator: EmulatorServer
) -> None:
    chosen = plan(sql, [])
    assert isinstance(chosen, PushdownPlan), chosen
    emulator.app.request_log.clear()
    result = execute(driver, chosen)
    pushed = [tuple(_normal(v) for v in row) for row in result]
    sent = [r for r in emulator.app.request_log if r.path.endswith("/query/")]
    assert len(result.queries) == len(sent) == 1
    assert parse_error(result.queries[0]) is None
    cursor = fallback_db.execute(sql)
    local = [tuple(_normal(v) for v in row) for row in cursor]
    assert [d[0] for d in result.description] == [d[0] for d in cursor.description]
    if " ORDER BY " in sql.upper().rsplit(")", 1)[-1]:
        assert pushed == local
    else:
        assert sorted(pushed, key=repr) == sorted(local, key=repr)
    assert pushed, "a shape that answers no row proves little"


def test_newer_strftime_specifiers_give_sqlites_text(emulator: EmulatorServer) -> None:
    # ISO week and year, weekday from Monday, 12-hour clock, %F %T %R: SQLite 3.44+ (the
    # connection's, not the standard library's), so both routes run through connections.
    sql = (
        "SELECT strftime('%G-W%V-%u %I%p %F %T %R', timestamp) AS k, count(*) FROM events "
        "WHERE event = 'purchase' GROUP BY k"
    )
    pushed, local = rows_on_both_routes(emulator, sql, sort=True)
    assert pushed == local and pushed


def test_space_padded_strftime_specifiers_give_sqlites_text(emulator: EmulatorServer) -> None:
    # %e, %k, %l pad with spaces in SQLite (3.44+, the connection's; %U is 3.46+); ClickHouse's
    # own letters pad with zeros, so they are computed. One request, the same text as SQLite's.
    sql = "SELECT strftime('[%e] [%k] [%l] %U/%W', timestamp) AS k, count(*) FROM events GROUP BY k"
    pushed, local = rows_on_both_routes(emulator, sql, sort=True)
    assert pushed == local
    assert any("[ " in k for k, _ in pushed) and any("[1" in k for k, _ in pushed)


def test_julianday_of_a_column_is_sqlites_float(zone: tuple[EmulatorServer, str]) -> None:
    # SQLite 3.54's julianday (the connection's; the standard library's is older): compared
    # bit for bit, one request, in UTC and in a project's Los Angeles calendar.
    server, timezone = zone
    sql = (
        "SELECT uuid, julianday(timestamp) AS j, julianday(timestamp) - julianday(min(timestamp) "
        "OVER ()) AS age FROM events ORDER BY timestamp, uuid LIMIT 3000"
    )
    pushed, local = rows_on_both_routes(server, sql, timezone=timezone)
    assert pushed == local and len(pushed) >= 1000
    assert all(isinstance(j, float) and j > 2_400_000 for _, j, _ in pushed)


def test_a_right_join_after_an_inner_join_with_extra_conditions_stays_in_sqlite(
    emulator: EmulatorServer,
) -> None:
    # The inner join's extra condition would move to WHERE and drop the rows the RIGHT join
    # keeps, so the planner leaves the statement to SQLite.
    sql = (
        "SELECT count(*), count(p.id) FROM events e JOIN persons p ON e.person_id = p.id "
        "AND e.event = 'purchase' RIGHT JOIN person_distinct_ids d ON d.person_id = p.id"
    )
    chosen = plan(sql, [])
    assert not isinstance(chosen, PushdownPlan)
    assert "RIGHT JOIN after an inner join" in chosen.reason


@pytest.mark.parametrize("text", ["5", "1.5e3", "{}", "[1]", "inf"])
def test_lower_of_a_property_compared_with_a_number_like_text_stays_in_sqlite(text: str) -> None:
    # SQLite's lower of a JSON number, true/false, object or array is its text, which HogQL's
    # string functions cannot give: such a comparison is left to SQLite.
    sql = "SELECT count(*) FROM events WHERE lower(json_extract(properties, '$.plan')) = ?"
    assert not isinstance(plan(sql, [text]), PushdownPlan)
    assert isinstance(plan(sql, ["pro"]), PushdownPlan)

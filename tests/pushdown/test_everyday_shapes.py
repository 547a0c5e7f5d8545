"""Everyday statements over the demo events (text functions, simple CASE, NULLIF, defaults,
ranges, buckets, HAVING): the same rows, with the same Python types, by both routes, in one Query
API request whose HogQL PostHog's parser accepts.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from posthog_dbapi import PostHogDriver
from posthog_dbapi.sql.pushdown_planner import PushdownPlan, execute, plan
from posthog_emulator import EmulatorServer

from .both_routes import rows_on_both_routes
from .hogql_grammar import parse_error

SHAPES = [
    # Newly pushed down: instr, replace, trim/ltrim/rtrim, NULLIF, CASE x WHEN.
    "SELECT instr(event, 'a') AS i, instr(distinct_id, '_') AS u, count(*) FROM events "
    "GROUP BY i, u",
    "SELECT replace(event, '$', '') AS e, replace(distinct_id, 'user', 'u') AS d FROM events "
    "WHERE event != 'purchase' LIMIT 300",
    "SELECT trim('  ' || event || ' ') AS t, ltrim(' ' || event) AS l, rtrim(event || '  ') AS r, "
    "count(*) FROM events GROUP BY t, l, r",
    "SELECT nullif(event, 'purchase') AS e, count(*) FROM events GROUP BY e",
    "SELECT CASE event WHEN 'purchase' THEN 'buy' WHEN 'signed_up' THEN 'join' ELSE 'other' END "
    "AS k, count(*) FROM events GROUP BY k",
    "SELECT count(*) FROM events WHERE CASE json_extract(properties, '$.plan') WHEN 'pro' THEN 1 "
    "ELSE 0 END = 1",
    # Already pushed down, checked here with their types: defaults, substrings, lengths, NULL
    # tests on properties, ranges, buckets, DISTINCT counts, HAVING, integer division.
    "SELECT coalesce(json_extract(properties, '$.plan'), 'none') AS p, substr(event, 1, 4) AS s, "
    "length(distinct_id) AS n, count(*) FROM events GROUP BY p, s, n",
    "SELECT count(*) FROM events WHERE json_extract(properties, '$.utm_source') IS NULL",
    "SELECT date(timestamp) AS d, count(DISTINCT distinct_id) FROM events WHERE timestamp "
    "BETWEEN date('now', '-30 days') AND date('now', '-10 days') GROUP BY d HAVING count(*) > 5 "
    "ORDER BY d",
    "SELECT event, CAST(count(*) AS REAL) / 7 AS per_day, count(*) / 7 AS whole_weeks "
    "FROM events GROUP BY event HAVING count(DISTINCT distinct_id) > 10",
    "SELECT abs(length(event) - 8) AS a, upper(event) AS u, count(*) FROM events GROUP BY a, u",
    # A result alias named in WHERE (SQLite allows it); the stored timestamp's text cut by substr.
    "SELECT json_extract(properties, '$.utm_source') AS src, count(DISTINCT person_id) "
    "FROM events WHERE src IS NOT NULL GROUP BY src",
    "SELECT substr(timestamp, 1, 10) AS d, substr(timestamp, 12, 5) AS hm, count(*) FROM events "
    "WHERE d >= date('now', '-20 days') GROUP BY d, hm",
    "SELECT substr(timestamp, 1, 7) AS m, count(*) FROM events GROUP BY m ORDER BY m",
    # The previous and next event of a person or session (a unique window order: ties would
    # leave the neighbour to each engine's choice).
    "SELECT person_id, event, lag(event) OVER (PARTITION BY person_id ORDER BY timestamp, uuid) "
    "AS prev FROM events ORDER BY person_id, timestamp, uuid LIMIT 2000",
    'SELECT uuid, lead(timestamp, 2) OVER (PARTITION BY "$session_id" ORDER BY timestamp, '
    "uuid) AS later, lag(event, 1, 'start') OVER (PARTITION BY \"$session_id\" ORDER BY "
    "timestamp, uuid) AS before FROM events ORDER BY timestamp, uuid LIMIT 2000",
    # LIKE over the whole properties text (the same JSON text on both routes).
    "SELECT event, count(*) FROM events WHERE properties LIKE '%chrome%' "
    'AND properties NOT LIKE \'%"plan":"free"%\' GROUP BY event',
]


def _typed(row: tuple[Any, ...]) -> tuple[tuple[str, Any], ...]:
    return tuple((type(v).__name__, v) for v in row)


@pytest.mark.parametrize("sql", SHAPES, ids=[s[:60] for s in SHAPES])
def test_everyday_shape_is_one_request_with_sqlites_rows_and_types(
    sql: str, driver: PostHogDriver, fallback_db: sqlite3.Connection
) -> None:
    chosen = plan(sql, [])
    assert isinstance(chosen, PushdownPlan), chosen.reason
    result = execute(driver, chosen)
    pushed = [_typed(tuple(row)) for row in result]
    assert len(result.queries) == 1
    assert parse_error(result.queries[0]) is None
    local = [_typed(row) for row in fallback_db.execute(sql)]
    if "ORDER BY" not in sql:
        pushed, local = sorted(pushed, key=repr), sorted(local, key=repr)
    assert pushed == local
    assert len(pushed) > 1 or "count(*) FROM events WHERE" in sql


@pytest.mark.parametrize(
    "sql",
    [
        # (A character set to trim, JSON values and a timestamp's whole text are finished by
        # SQLite on the client now: test_finished_text.py.)
        "SELECT instr(event, 'a', 2) FROM events",
        # SQLite refuses an aggregate's alias in WHERE ("misuse of aggregate"): it must say so.
        "SELECT count(*) AS c FROM events WHERE c > 5",
        # No window order (SQLite's neighbour is its scan's), a default of another type.
        "SELECT lag(event) OVER () FROM events LIMIT 5",
        "SELECT lag(event, 1, 0) OVER (ORDER BY timestamp) FROM events LIMIT 5",
    ],
)
def test_shapes_without_an_exact_hogql_form_stay_local(sql: str) -> None:
    # A start position, a character set to trim, JSON values (numbers are text to SQLite here)
    # and timestamps have no exact HogQL equivalent in these functions.
    assert not isinstance(plan(sql, []), PushdownPlan)


def test_strftime_seconds_with_milliseconds_are_sqlites_text(
    zone: tuple[EmulatorServer, str],
) -> None:
    # %f is SS.SSS from the milliseconds SQLite reads out of the stored text (rounded half up
    # from the microseconds, capped at .999): compared through both routes' connections.
    server, timezone = zone
    sql = (
        "SELECT uuid, strftime('%H:%M:%f', timestamp) AS f FROM events "
        "ORDER BY timestamp, uuid LIMIT 3000"
    )
    pushed, local = rows_on_both_routes(server, sql, timezone=timezone)
    assert pushed == local and len(pushed) >= 1000
    # The demo's timestamps carry microseconds, so the milliseconds vary.
    assert len({f[-3:] for _, f in pushed}) > 100


def test_substr_of_a_timestamp_is_the_stored_texts(zone: tuple[EmulatorServer, str]) -> None:
    # On a timezone="project" connection the stored text is the project's wall-clock time.
    server, timezone = zone
    sql = (
        "SELECT substr(timestamp, 1, 13) AS h, count(*) FROM events WHERE h > '2000' "
        "GROUP BY h ORDER BY h"
    )
    pushed, local = rows_on_both_routes(server, sql, timezone=timezone)
    assert pushed == local and len(pushed) > 24

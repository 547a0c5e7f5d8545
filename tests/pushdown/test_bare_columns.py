"""A column beside an aggregate but outside its GROUP BY keys: SQLite answers it (with one row's
value), ClickHouse refuses it, so the statement stays in SQLite and the user gets SQLite's answer
instead of PostHog's error. The same columns under a key, an aggregate or a result column's name
are still pushed down, in one request.
"""

from __future__ import annotations

from typing import Any

import pytest

import posthog_dbapi
from posthog_emulator import EmulatorServer

PROJECT = 49


@pytest.fixture(scope="module")
def server(emulator_server: EmulatorServer) -> EmulatorServer:
    emulator_server.app.add_project(PROJECT)
    events = [
        {"event": ("buy", "view", "view")[i % 3], "distinct_id": f"u{i % 4}",
         "timestamp": f"2026-01-01T00:00:{i:02d}Z", "properties": {"n": i}}
        for i in range(12)
    ]  # fmt: skip
    emulator_server.app.projects[PROJECT].events.add_events(events)
    return emulator_server


def _run(server: EmulatorServer, sql: str) -> tuple[list[Any], str | None, int]:
    with posthog_dbapi.connect(
        server.url, server.api_key, PROJECT, query_cache_ttl=0, rate_budget=False
    ) as conn:
        cursor = conn.cursor().execute(sql)
        return cursor.fetchall(), cursor.route, len(cursor.queries)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        # One event kind passes the WHERE, so SQLite's pick of a row is determined.
        ("SELECT count(*), event FROM events WHERE event = 'buy'", [(4, "buy")]),
        # Beside a lone max(), SQLite takes the other columns from the row holding it.
        ("SELECT distinct_id, max(timestamp) FROM events WHERE event = 'view'",
         [("u3", "2026-01-01T00:00:11+00:00")]),
        ("SELECT event, count(*) FROM events WHERE distinct_id = 'u0' GROUP BY event "
         "ORDER BY min(json_extract(properties, '$.n')), distinct_id", [("buy", 1), ("view", 2)]),
    ],
)  # fmt: skip
def test_a_bare_column_gets_sqlites_answer(
    server: EmulatorServer, sql: str, expected: list[Any]
) -> None:
    rows, route, queries = _run(server, sql)
    assert rows == expected
    assert route == "sqlite"
    assert queries == 1  # the events read once, as one page


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT event, count(*) AS n FROM events GROUP BY event ORDER BY event",
        "SELECT e.event, count(*) AS n FROM events e GROUP BY event ORDER BY 1",
        "SELECT upper(event) AS u, count(*) AS n FROM events GROUP BY 1 HAVING n > 4 ORDER BY u",
        "SELECT substr(timestamp, 1, 10) AS d, count(*) FROM events GROUP BY d",
        "SELECT event || '!' AS e, count(*) FROM events GROUP BY event ORDER BY e",
        "SELECT count(*) FROM events HAVING count(*) > 1",
        "SELECT count(*) FILTER (WHERE event = 'buy'), max(distinct_id) FROM events",
        "SELECT total(json_extract(properties, '$.n') + 1) FROM events",
    ],
)
def test_covered_columns_are_still_pushed_down(server: EmulatorServer, sql: str) -> None:
    rows, route, queries = _run(server, sql)
    assert route == "hogql"
    assert queries == 1
    with posthog_dbapi.connect(
        server.url, server.api_key, PROJECT, pushdown="off", rate_budget=False
    ) as conn:
        assert sorted(rows) == sorted(conn.cursor().execute(sql).fetchall())

"""Both routes through the DB-API connection: pushdown="required" against pushdown="off".

The differential corpus runs twice on real connections to the emulator, once sent whole to the
Query API as HogQL and once in SQLite over the events adapter (which pages the Query API by
keyset), and the rows must be equal. Only statements over the connection's HogQL tables count
(``persons`` is the REST resource on a connection).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

import posthog_dbapi
from posthog_dbapi.emulator import EmulatorServer

from .test_differential import STATEMENTS, _bind, _normal

EVENT_STATEMENTS = [
    (sql, params)
    for sql, params in STATEMENTS
    if not re.search(r"\b(persons|person_distinct_ids|sessions)\b", sql)
]


def _connect(server: EmulatorServer, pushdown: str) -> Any:
    return posthog_dbapi.connect(
        server.url, server.api_key, server.project_id, pushdown=pushdown, rate_budget=False
    )


@pytest.fixture(scope="module")
def routes(emulator_server: EmulatorServer) -> Iterator[tuple[Any, Any]]:
    pushed, local = _connect(emulator_server, "required"), _connect(emulator_server, "off")
    yield pushed, local
    pushed.close()
    local.close()


@pytest.fixture(scope="module")
def middle_time(routes: tuple[Any, Any]) -> tuple[str, str]:
    cursor = routes[1].cursor()
    cursor.execute("SELECT timestamp FROM events ORDER BY timestamp LIMIT 1 OFFSET 10000")
    (mid,) = cursor.fetchone()
    text = mid.isoformat()
    return text, text[:10]


def test_the_corpus_is_large_enough() -> None:
    assert len(EVENT_STATEMENTS) >= 50


@pytest.mark.parametrize(
    ("sql", "params"), EVENT_STATEMENTS, ids=[s[:60] for s, _ in EVENT_STATEMENTS]
)
def test_same_rows_by_either_route(
    sql: str, params: tuple[Any, ...], routes: tuple[Any, Any], middle_time: tuple[str, str]
) -> None:
    bound = _bind(params, *middle_time)
    pushed_cursor, local_cursor = routes[0].cursor(), routes[1].cursor()
    pushed_cursor.execute(sql, bound)
    local_cursor.execute(sql, bound)
    assert pushed_cursor.route == "hogql" and pushed_cursor.hogql
    assert local_cursor.route == "sqlite"
    pushed = [tuple(_normal(v) for v in row) for row in pushed_cursor.fetchall()]
    local = [tuple(_normal(v) for v in row) for row in local_cursor.fetchall()]
    assert [d[0] for d in pushed_cursor.description] == [d[0] for d in local_cursor.description]
    if " ORDER BY " in sql.upper().rsplit(")", 1)[-1]:
        assert pushed == local
    else:
        assert sorted(pushed, key=repr) == sorted(local, key=repr)


def test_an_aggregate_is_one_query_request(emulator: EmulatorServer) -> None:
    with _connect(emulator, "auto") as conn:
        cursor = conn.cursor()
        emulator.app.request_log.clear()
        cursor.execute("SELECT event, count(*) FROM events GROUP BY event")
        rows = cursor.fetchall()
    assert cursor.route == "hogql"
    assert cursor.queries == [cursor.hogql]
    assert sum(n for _, n in rows) == emulator.app.projects[1].events.event_count()
    assert [r.path for r in emulator.app.request_log] == ["/api/projects/1/query/"]


def test_fallback_is_visible_and_can_be_refused(emulator: EmulatorServer) -> None:
    sql = "SELECT round(avg(length(event)), 2) FROM events"
    with _connect(emulator, "auto") as conn:
        cursor = conn.cursor()
        cursor.execute(sql)
        assert cursor.fetchone()[0] > 0
        assert cursor.route == "sqlite"
        assert cursor.route_reason
    with _connect(emulator, "required") as conn:
        with pytest.raises(posthog_dbapi.NotSupportedError, match="cannot run as HogQL"):
            conn.cursor().execute(sql)
        # REST tables are not affected by the pushdown mode.
        cursor = conn.cursor()
        cursor.execute("SELECT count(*) FROM dashboards")
        assert cursor.route == "sqlite" and cursor.fetchone()[0] > 0


def test_fallback_pushes_event_filters_into_the_query(emulator: EmulatorServer) -> None:
    with _connect(emulator, "off") as conn:
        cursor = conn.cursor()
        emulator.app.request_log.clear()
        cursor.execute(
            "SELECT count(*) FROM events WHERE event = ? AND timestamp >= ?",
            ("purchase", "2000-01-01T00:00:00+00:00"),
        )
        (count,) = cursor.fetchone()
    expected = emulator.app.projects[1].events.run_hogql(
        "SELECT count() FROM events WHERE event = 'purchase'", None, system_tables={}
    )["results"][0][0]
    assert count == expected
    assert len([r for r in emulator.app.request_log if r.path.endswith("/query/")]) == 1


def test_native_hogql_mode(emulator: EmulatorServer) -> None:
    with posthog_dbapi.connect(
        emulator.url, emulator.api_key, emulator.project_id, hogql=True
    ) as conn:
        cursor = conn.cursor()
        cursor.execute(
            "SELECT event, count() AS c FROM events WHERE event = {name} GROUP BY event",
            {"name": "purchase"},
        )
        rows = cursor.fetchall()
        assert cursor.route == "hogql"
        assert [d[0] for d in cursor.description] == ["event", "c"]
    assert rows and rows[0][0] == "purchase" and rows[0][1] > 0


def test_unknown_pushdown_mode_is_refused_before_any_request(emulator: EmulatorServer) -> None:
    emulator.app.request_log.clear()
    with pytest.raises(posthog_dbapi.InterfaceError, match="pushdown must be one of"):
        posthog_dbapi.connect(emulator.url, emulator.api_key, 1, pushdown="sometimes")
    assert list(emulator.app.request_log) == []

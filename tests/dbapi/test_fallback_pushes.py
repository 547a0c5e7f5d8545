"""What the SQLite route (the fallback) still pushes into its Query API requests for event-scale
tables: ranges and equalities in any order, and an IN list as one request."""

from __future__ import annotations

from typing import Any

import pytest

import posthog_dbapi
from tests.oracle import engine_count, middle_timestamp, stored_events
from tests.sent_hogql import query_requests, timestamp_bounds


def hogql_count(emulator: Any, where: str) -> int:
    store = emulator.app.projects[1].events
    return engine_count(store, f"SELECT count() FROM events WHERE {where}")


@pytest.fixture
def off(emulator: Any) -> Any:
    with posthog_dbapi.connect(
        emulator.url, emulator.api_key, emulator.project_id, pushdown="off"
    ) as conn:
        yield conn


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(*) FROM events WHERE timestamp >= ? AND event = ?",
        "SELECT count(*) FROM events WHERE event = ? AND timestamp >= ?",
    ],
)
def test_range_and_equality_reach_the_scan_in_either_order(
    sql: str, off: Any, emulator: Any
) -> None:
    events = stored_events(emulator.app.projects[1].events)
    since = middle_timestamp(events)
    purchases = [e for e in events if e["event"] == "purchase"]
    expected = sum(1 for e in purchases if e["timestamp"] >= since)
    assert 0 < expected < len(purchases)  # the bound is inside the data: it decides the count
    first_range = sql.index("timestamp") < sql.index("event =")
    params = (since.isoformat(), "purchase") if first_range else ("purchase", since.isoformat())
    cursor = off.cursor()
    emulator.app.request_log.clear()
    cursor.execute(sql, params)
    assert cursor.route == "sqlite"
    assert cursor.fetchone()[0] == expected
    assert query_requests(emulator) == 1
    (sent,) = emulator.app.queries.received
    assert timestamp_bounds(sent) == [(">=", since)], sent.text
    assert "purchase" in (sent.values or {}).values(), sent


def test_an_in_list_is_one_request_not_one_per_value(off: Any, emulator: Any) -> None:
    cursor = off.cursor()
    emulator.app.request_log.clear()
    cursor.execute(
        "SELECT count(*) FROM sessions WHERE session_id IN "
        '(SELECT "$session_id" FROM events WHERE event = ?)',
        ("purchase",),
    )
    (count,) = cursor.fetchone()
    expected = engine_count(
        emulator.app.projects[1].events,
        "SELECT count() FROM sessions WHERE session_id IN "
        "(SELECT `$session_id` FROM events WHERE event = 'purchase')",
    )
    assert count == expected > 0
    # One scan of events for the subquery, one of sessions for the whole IN list.
    assert query_requests(emulator) == 2

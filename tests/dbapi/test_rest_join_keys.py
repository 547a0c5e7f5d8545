"""A join of a REST table with an event-scale table, run in SQLite: the REST side's keys reach
PostHog as one IN list (values as placeholders), so the event table costs one Query API request,
never a request per REST row and never a fetch of the whole table."""

from __future__ import annotations

from typing import Any

import pytest

import posthog_dbapi
from tests.sent_hogql import query_requests

JOINS = [
    "SELECT d.name, count(*) FROM dashboards d JOIN events e ON e.event = d.name GROUP BY 1",
    "SELECT count(*) FROM events e JOIN dashboards d ON d.name = e.event",
    "SELECT d.name, count(e.uuid) FROM dashboards d LEFT JOIN events e ON e.event = d.name "
    "GROUP BY 1",
    # Events is the preserved side here: its rows without a dashboard must stay.
    "SELECT e.event, count(d.id) FROM events e LEFT JOIN dashboards d ON d.name = e.event "
    "GROUP BY 1",
]


@pytest.mark.parametrize("sql", JOINS)
def test_the_rest_keys_go_as_one_in_list(sql: str, emulator: Any) -> None:
    with posthog_dbapi.connect(emulator.url, emulator.api_key, emulator.project_id,
                               query_cache_ttl=0) as conn:  # fmt: skip
        cursor = conn.cursor()
        for name in ("purchase", "$pageview"):
            cursor.execute("INSERT INTO dashboards (name) VALUES (?)", (name,))
        emulator.app.request_log.clear()
        rows = cursor.execute(sql).fetchall()
        assert cursor.route == "sqlite"
        assert len(cursor.queries) == query_requests(emulator) == 1 <= cursor.estimated_queries
        if "JOIN events" in sql:  # SQLite asks events by the dashboard's name
            assert " IN (" in cursor.queries[0] and "purchase" not in cursor.queries[0]
    with posthog_dbapi.connect(emulator.url, emulator.api_key, emulator.project_id,
                               pushdown="off", query_cache_ttl=0) as plain:  # fmt: skip
        expected = plain.cursor().execute(sql).fetchall()
    assert sorted(rows, key=repr) == sorted(expected, key=repr)
    assert any(row[-1] > 0 for row in rows)

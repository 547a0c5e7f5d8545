"""The fallback keeps a table's rows for the statement only when SQLite may read the table again:
a statement that reads one table once streams it (a million-row ``SELECT *`` must not hold a
million rows), while a join still fetches each table once and replays it."""

from __future__ import annotations

from typing import Any

import pytest

import posthog_dbapi
from tests.oracle import engine_count, stored_events
from tests.sent_hogql import query_requests


def kept_rows(connection: Any) -> int:
    return sum(len(scan.rows) for scan in connection.state.statement.scans.values())


@pytest.fixture
def off(emulator: Any) -> Any:
    with posthog_dbapi.connect(
        emulator.url, emulator.api_key, emulator.project_id, pushdown="off"
    ) as conn:
        yield conn


def test_a_single_table_scan_streams_without_keeping_rows(off: Any, emulator: Any) -> None:
    events = stored_events(emulator.app.projects[1].events)
    cursor = off.cursor()
    emulator.app.request_log.clear()
    cursor.execute("SELECT uuid, event FROM events")
    assert cursor.route == "sqlite"
    first = cursor.fetchmany(10)
    assert len(first) == 10
    assert off.state.statement.scans  # the scan is the statement's ...
    assert kept_rows(off) == 0  # ... but holds none of the rows it has handed out
    rows = first + cursor.fetchall()
    assert kept_rows(off) == 0
    assert sorted(r[0] for r in rows) == sorted(str(e["uuid"]) for e in events)
    assert query_requests(emulator) == 1


def test_a_join_still_reads_each_table_once(off: Any, emulator: Any) -> None:
    sql = (
        'SELECT e.uuid, s.session_id FROM events e JOIN sessions s ON e."$session_id" = '
        "s.session_id WHERE e.event = 'purchase'"
    )
    cursor = off.cursor()
    emulator.app.request_log.clear()
    cursor.execute(sql)
    rows = cursor.fetchall()
    expected = engine_count(
        emulator.app.projects[1].events,
        "SELECT count() FROM events e JOIN sessions s ON e.`$session_id` = s.session_id "
        "WHERE e.event = 'purchase'",
    )
    assert len(rows) == expected > 3
    # events once; sessions at most its first scan and one whole fetch, not one per outer row.
    assert query_requests(emulator) <= 3
    assert kept_rows(off) > 0  # the inner table was kept to be replayed


def test_a_table_named_twice_keeps_its_rows(off: Any, emulator: Any) -> None:
    # A correlated subquery re-reads events once per outer row: one request, not one per row.
    sql = (
        "SELECT count(*) FROM persons p WHERE EXISTS "
        "(SELECT 1 FROM events e WHERE e.person_id = p.id AND e.event = 'purchase')"
    )
    cursor = off.cursor()
    emulator.app.request_log.clear()
    cursor.execute(sql)
    (count,) = cursor.fetchone()
    expected = engine_count(
        emulator.app.projects[1].events,
        "SELECT count() FROM persons WHERE id IN "
        "(SELECT person_id FROM events WHERE event = 'purchase')",
    )
    assert count == expected > 0
    assert query_requests(emulator) <= 3

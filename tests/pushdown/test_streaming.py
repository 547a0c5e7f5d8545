"""Keyset paging: every row exactly once, at page edges with equal timestamps and under faults."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator

import pytest

from posthog_dbapi import PostHogDriver, connect
from posthog_dbapi.sql.pushdown_planner import PushdownPlan, execute, plan
from posthog_emulator import Emulator, EmulatorServer

from .conftest import make_driver


def test_small_pages_lose_and_repeat_nothing(
    driver: PostHogDriver, fallback_db: sqlite3.Connection, emulator: EmulatorServer
) -> None:
    (ties,) = fallback_db.execute(
        "SELECT count(*) FROM (SELECT timestamp FROM events GROUP BY timestamp HAVING count(*) > 1)"
    ).fetchone()
    assert ties > 0, "the demo data should have equal timestamps"
    chosen = plan("SELECT uuid, timestamp FROM events")
    assert isinstance(chosen, PushdownPlan) and chosen.mode == "keyset"
    emulator.app.request_log.clear()
    result = execute(driver, chosen, page_size=997)
    uuids = [row[0] for row in result]
    expected = {u for (u,) in fallback_db.execute("SELECT uuid FROM events")}
    assert len(uuids) == len(expected) == len(set(uuids))
    assert set(uuids) == expected
    requests = [r for r in emulator.app.request_log if "/query" in r.path]
    assert len(requests) == len(expected) // 997 + 1


def test_pages_are_fetched_as_rows_are_consumed(
    driver: PostHogDriver, emulator: EmulatorServer
) -> None:
    chosen = plan("SELECT uuid FROM events WHERE event = ?", ["$pageview"])
    assert isinstance(chosen, PushdownPlan)
    emulator.app.request_log.clear()
    result = execute(driver, chosen, page_size=500)
    first = list(itertools.islice(result, 600))
    assert len(first) == 600
    assert len([r for r in emulator.app.request_log if "/query" in r.path]) == 2


def test_descending_order_with_offset_pages_by_keyset(
    driver: PostHogDriver, fallback_db: sqlite3.Connection
) -> None:
    sql = "SELECT uuid FROM events ORDER BY timestamp DESC, uuid DESC LIMIT 3000 OFFSET 1234"
    chosen = plan(sql)
    assert isinstance(chosen, PushdownPlan) and chosen.mode == "keyset"
    assert "OFFSET" not in chosen.hogql
    pushed = [row[0] for row in execute(driver, chosen, page_size=1000)]
    assert pushed == [u for (u,) in fallback_db.execute(sql)]


@pytest.fixture(scope="module")
def big_emulator() -> Iterator[EmulatorServer]:
    app = Emulator()
    app.load_demo(persons=2000, events=200_000)
    server = EmulatorServer(app)
    yield server
    server.stop()


def test_streaming_200k_events_under_faults_gets_each_once(big_emulator: EmulatorServer) -> None:
    app = big_emulator.app
    total = app.projects[1].events.event_count()
    assert total == 200_000
    app.faults.set_random(0.2, kinds=["429", "500", "502", "503", "reset"], seed=7)
    try:
        with make_driver(big_emulator, max_retries=8) as drv, connect(driver=drv) as conn:
            cursor = conn.cursor()
            cursor.execute("SELECT uuid, timestamp FROM events")
            assert cursor.route == "hogql"
            seen: set[object] = set()
            count = 0
            while batch := cursor.fetchmany(10_000):
                count += len(batch)
                seen.update(row[0] for row in batch)
            pages = len(cursor.queries)
        assert app.faults.injected, "the emulator should have injected faults"
    finally:
        app.faults.clear()
    assert count == len(seen) == total
    assert pages >= 4  # 200,000 rows do not fit one answer: several keyset pages were read

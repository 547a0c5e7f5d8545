"""Cancelling a Query API query: ``cursor.cancel()`` from another thread, and ``query_timeout``.

The emulator's ``queries.hold()`` keeps async queries pending, so the "still running" state is
observed without timing; the driver's sleep and clock are fakes, so polling never really waits.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

import posthog_dbapi
from posthog_dbapi.driver.listeners import RequestEvent
from posthog_emulator import EmulatorServer
from tests.conftest import FakeTime

AGGREGATE = "SELECT event, count(*) FROM events GROUP BY event ORDER BY event"


@pytest.fixture
def held(emulator: EmulatorServer) -> Iterator[EmulatorServer]:
    emulator.app.queries.hold()
    yield emulator
    emulator.app.queries.release()


def _connect(server: EmulatorServer, **options: Any) -> Any:
    # Each poll also yields a few real milliseconds, so the emulator's worker threads (on real
    # time) can finish a released query while the driver polls: a purely fake sleep polled its
    # whole timeout away before they did, on a busy machine.
    fake = FakeTime(real_pause=0.05)
    return posthog_dbapi.connect(
        server.url,
        server.api_key,
        server.project_id,
        sleep=fake.sleep,
        clock=fake.clock,
        rate_budget=False,
        **options,
    )


def _deletes(server: EmulatorServer) -> list[str]:
    return [r.path for r in server.app.request_log if r.method == "DELETE"]


def test_query_timeout_cancels_the_query_inside_posthog(held: EmulatorServer) -> None:
    with _connect(held, query_timeout=30) as conn:
        cursor = conn.cursor()
        with pytest.raises(posthog_dbapi.OperationalError, match="did not finish within 30") as e:
            cursor.execute(AGGREGATE)
        query_id = e.value.details["query_id"]
        assert _deletes(held) == [f"/api/projects/1/query/{query_id}/"]
        # The connection still works once PostHog answers again.
        held.app.queries.release()
        cursor.execute("SELECT count(*) FROM events")
        assert cursor.fetchone()[0] == held.app.projects[1].events.event_count()


def test_a_query_within_its_timeout_gives_the_same_rows(emulator: EmulatorServer) -> None:
    with _connect(emulator) as blocking, _connect(emulator, query_timeout="120") as polled:
        expected = blocking.cursor().execute(AGGREGATE).fetchall()
        cursor = polled.cursor().execute(AGGREGATE)
        assert cursor.route == "hogql" and cursor.fetchall() == expected
    assert _deletes(emulator) == []


def test_cancel_from_another_thread_stops_the_query(held: EmulatorServer) -> None:
    polling = threading.Event()

    def watch(event: RequestEvent) -> None:
        if event.kind == "request" and event.method == "GET" and "/query/" in event.path:
            polling.set()

    with _connect(held, query_timeout=3600) as conn:
        conn.driver.add_listener(watch)
        cursor = conn.cursor()
        outcome: list[BaseException] = []

        def run() -> None:
            try:
                cursor.execute(AGGREGATE)
            except BaseException as exc:  # handed to the main thread
                outcome.append(exc)

        worker = threading.Thread(target=run)
        worker.start()
        assert polling.wait(60), "the query never reached the polling state"
        query_id = cursor.query_id
        cursor.cancel()
        worker.join(60)
        assert not worker.is_alive()
        assert len(outcome) == 1 and isinstance(outcome[0], posthog_dbapi.OperationalError)
        assert "cancelled" in str(outcome[0])
        assert _deletes(held) == [f"/api/projects/1/query/{query_id}/"]
        held.app.queries.release()
        assert cursor.execute("SELECT count(*) FROM events").fetchone()[0] > 0


def test_cancel_without_a_query_sends_nothing(emulator: EmulatorServer) -> None:
    with _connect(emulator) as conn:
        cursor = conn.cursor()
        cursor.cancel()
        cursor.execute("SELECT count(*) FROM dashboards")
        cursor.cancel()
    assert _deletes(emulator) == []


@pytest.mark.parametrize("value", [0, -1, "soon", float("inf")])
def test_a_bad_query_timeout_is_refused_before_any_request(
    emulator: EmulatorServer, value: Any
) -> None:
    emulator.app.request_log.clear()
    with pytest.raises(posthog_dbapi.InterfaceError, match="query_timeout"):
        posthog_dbapi.connect(emulator.url, emulator.api_key, 1, query_timeout=value)
    assert list(emulator.app.request_log) == []

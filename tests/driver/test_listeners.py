"""Request listeners: the events the one request path reports (``PostHogDriver.add_listener``).

Waits go to the ``sleeps`` recorder instead of really sleeping.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from posthog_dbapi.driver import PostHogDriver, RequestEvent
from posthog_dbapi.exceptions import ConnectionError, InterfaceError

DASHBOARDS = r"/dashboards/$"


class Recorder:
    def __init__(self) -> None:
        self.events: list[RequestEvent] = []

    def __call__(self, event: RequestEvent) -> None:
        self.events.append(event)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


def test_a_page_read_reports_its_request_and_answer(driver: PostHogDriver) -> None:
    seen = Recorder()
    driver.add_listener(seen)
    rows = driver.read("/dashboards?search=a", limit=2)
    assert seen.kinds() == ["request", "response"]
    sent, answered = seen.events
    assert (sent.method, sent.path, sent.attempt, sent.status) == (
        "GET",
        "/api/projects/1/dashboards/",
        1,
        None,
    )
    assert (answered.status, answered.records, answered.category) == (200, len(rows), "crud")


def test_events_hold_no_key_host_or_query_string(driver: PostHogDriver, emulator: Any) -> None:
    seen = Recorder()
    driver.add_listener(seen)
    driver.read("/dashboards?search=secretish", limit=1)
    driver.query("SELECT {n}", {"n": 1})
    assert seen.events
    for event in seen.events:
        text = repr(event)
        assert emulator.api_key not in text
        assert "secretish" not in text and "127.0.0.1" not in text
        assert event.path.startswith("/api/") and "?" not in event.path


def test_a_retry_is_reported_with_its_wait(
    driver: PostHogDriver, emulator: Any, sleeps: Any
) -> None:
    emulator.app.faults.add("503", path=DASHBOARDS, times=1)
    seen = Recorder()
    driver.add_listener(seen)
    driver.read("/dashboards", limit=1)
    assert seen.kinds() == ["request", "response", "retry", "request", "response"]
    failed, retry, again, ok = seen.events[1], seen.events[2], seen.events[3], seen.events[4]
    assert (failed.status, failed.records) == (503, None)
    assert (retry.status, retry.attempt) == (503, 1)
    assert retry.wait_seconds == sleeps.waits[0]
    assert (again.attempt, ok.status, ok.attempt) == (2, 200, 2)


def test_a_429_retry_carries_retry_after(driver: PostHogDriver, emulator: Any) -> None:
    emulator.app.faults.add("429", path=DASHBOARDS, times=1, retry_after=7)
    seen = Recorder()
    driver.add_listener(seen)
    driver.read("/dashboards", limit=1)
    retries = [e for e in seen.events if e.kind == "retry"]
    assert [(e.status, e.wait_seconds) for e in retries] == [(429, 7.0)]


def test_a_rate_budget_wait_is_reported_before_the_request(make_driver: Any, sleeps: Any) -> None:
    # One crud request a minute: the construction's request spends it.
    driver = make_driver(project_id=1, rate_budget={"crud": (1, 1000)})
    seen = Recorder()
    driver.add_listener(seen)
    driver.read("/dashboards", limit=1)
    assert seen.kinds() == ["rate_wait", "request", "response"]
    wait = seen.events[0]
    assert (wait.method, wait.path, wait.category) == ("GET", "/api/projects/1/dashboards/", "crud")
    assert wait.wait_seconds == sleeps.waits[0] > 0


def test_a_request_without_answer_has_no_response_event(make_driver: Any, emulator: Any) -> None:
    driver = make_driver(project_id=1, max_retries=0)
    emulator.app.faults.add("reset", path=DASHBOARDS)
    seen = Recorder()
    driver.add_listener(seen)
    with pytest.raises(ConnectionError):
        driver.read("/dashboards", limit=1)
    assert seen.kinds() == ["request"]


def test_removed_listeners_hear_nothing(driver: PostHogDriver) -> None:
    seen = Recorder()
    driver.add_listener(seen)
    driver.remove_listener(seen)
    driver.remove_listener(seen)  # not registered any more: ignored
    driver.read("/dashboards", limit=1)
    assert seen.events == []


def test_a_failing_listener_does_not_fail_the_request(
    driver: PostHogDriver, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: RequestEvent) -> None:
        raise RuntimeError("listener bug")

    seen = Recorder()
    driver.add_listener(broken)
    driver.add_listener(seen)
    with caplog.at_level(logging.WARNING, logger="posthog_dbapi"):
        assert driver.read("/dashboards", limit=1)
    assert seen.kinds() == ["request", "response"]
    assert "listener raised" in caplog.text


def test_a_listener_must_be_callable(driver: PostHogDriver) -> None:
    with pytest.raises(InterfaceError) as info:
        driver.add_listener("print")  # type: ignore[arg-type]
    assert info.value.suggestion

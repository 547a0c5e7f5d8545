"""Reading events by keyset through the Query API: every event exactly once, faults or not."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from typing import Any

import pytest

from posthog_dbapi.driver import PostHogDriver
from posthog_dbapi.driver.events import build_page_query


def _uuids(batches: Any) -> list[str]:
    return [event["uuid"] for batch in batches for event in batch]


def test_keyset_template_carries_values_only_as_placeholders() -> None:
    hogql, values = build_page_query(
        {"event": "x' OR 1=1 --"}, ("2024-01-01 00:00:00.000000", "abc"), 500
    )
    assert "x' OR 1=1" not in hogql
    assert "{f_event}" in hogql and "{k_ts}" in hogql and "{k_uuid}" in hogql
    assert values["f_event"] == "x' OR 1=1 --"
    assert values["page_limit"] == 500
    assert "ORDER BY timestamp ASC, toString(uuid) ASC" in hogql


def test_demo_events_in_batches_of_1000_each_exactly_once(
    driver: PostHogDriver, emulator: Any
) -> None:
    expected = emulator.app.projects[1].events.event_count()
    assert expected >= 20_000
    batches = list(driver.read_batched("/events", batch_size=1000))
    ids = _uuids(batches)
    assert len(ids) == expected
    assert len(set(ids)) == expected
    assert all(len(b) == 1000 for b in batches[:-1])
    stamps = [e["timestamp"] for b in batches for e in b]
    assert stamps == sorted(stamps)
    # One query per batch, never the deprecated /events/ list.
    assert not any(r.path.endswith("/events/") for r in emulator.app.request_log)


def _same_time_project(emulator: Any, count: int) -> set[str]:
    """Project 2 holds ``count`` events that all share one timestamp."""
    emulator.app.add_project(2)
    rng = random.Random(7)
    events = [
        {
            "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "event": rng.choice(["$pageview", "signup", "$autocapture"]),
            "distinct_id": f"user-{rng.randrange(50)}",
            "timestamp": "2024-05-01T12:00:00Z",
            "properties": {"n": i},
        }
        for i in range(count)
    ]
    emulator.app.projects[2].events.add_events(events)
    return {str(e["uuid"]) for e in events}


def test_page_edges_inside_one_timestamp(make_driver: Any, emulator: Any) -> None:
    expected = _same_time_project(emulator, 2_500)
    driver = make_driver(project_id=2)
    ids = [str(e["uuid"]) for e in driver.iter_records("events", page_size=300)]
    assert Counter(ids) == Counter(expected)


def test_small_batches_are_cut_from_large_pages(make_driver: Any, emulator: Any) -> None:
    # A HogQL query is scarce (PostHog allows 120 an hour by default): 2,500 events in batches
    # of 100 are one query, not 25.
    expected = _same_time_project(emulator, 2_500)
    driver = make_driver(project_id=2)
    emulator.app.request_log.clear()
    batches = list(driver.read_batched("/events", batch_size=100))
    assert [len(b) for b in batches] == [100] * 25
    assert set(_uuids(batches)) == expected
    assert len([r for r in emulator.app.request_log if "/query" in r.path]) == 1


@pytest.mark.slow
def test_20000_events_with_faults_in_20_percent_of_requests(
    make_driver: Any, emulator: Any, sleeps: Any
) -> None:
    expected = _same_time_project(emulator, 20_000)
    driver = make_driver(project_id=2, max_retries=8)
    emulator.app.faults.set_random(
        0.2,
        kinds=("429", "500", "502", "503", "504", "reset", "truncate", "html", "garbage"),
        seed=11,
    )
    ids = [str(e["uuid"]) for e in driver.iter_records("events", page_size=1000)]
    assert len(emulator.app.faults.injected) >= 2
    assert len(ids) == 20_000
    assert set(ids) == expected


def test_filtered_events(driver: PostHogDriver) -> None:
    name = driver.read("/events", limit=1)[0]["event"]
    batches = list(driver.read_batched(f"/events?event={name}", batch_size=500))
    assert batches
    assert {e["event"] for b in batches for e in b} == {name}
    count = driver.query("SELECT count() FROM events WHERE event = {e}", {"e": name}).results[0][0]
    assert sum(len(b) for b in batches) == count


def test_events_offset_and_limit(driver: PostHogDriver) -> None:
    first = driver.read("/events", limit=30)
    window = driver.read("/events", limit=10, offset=20)
    assert [e["uuid"] for e in window] == [e["uuid"] for e in first[20:30]]

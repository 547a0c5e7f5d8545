"""HogQL answers in the project's timezone and week start, as PostHog's does; REST stays UTC."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from posthog_emulator import Emulator, EmulatorServer

# Around the US spring-forward change (2024-03-10 02:00 local in Los Angeles).
EVENTS = [
    {"event": "a", "distinct_id": "d1", "timestamp": "2024-03-10T09:30:00Z"},
    {"event": "b", "distinct_id": "d1", "timestamp": "2024-03-10T10:30:00.123456Z"},
    {"event": "c", "distinct_id": "d1", "timestamp": "2024-03-11T06:59:00Z"},
]
Query = Callable[..., dict[str, Any]]


def _serve(timezone: str, week_start_day: int = 0) -> Iterator[tuple[EmulatorServer, Query]]:
    app = Emulator(timezone=timezone, week_start_day=week_start_day, query_tier="api-queries")
    app.projects[1].events.add_events(EVENTS)
    server = EmulatorServer(app)

    def query(text: str, **modifiers: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"kind": "HogQLQuery", "query": text}
        if modifiers:
            body["modifiers"] = modifiers
        r = requests.post(
            f"{server.url}/api/projects/1/query/",
            json={"query": body},
            headers={"Authorization": f"Bearer {server.api_key}"},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()
        return result

    yield server, query
    server.stop()


@pytest.fixture
def los_angeles() -> Iterator[tuple[EmulatorServer, Query]]:
    yield from _serve("America/Los_Angeles", week_start_day=1)


def test_datetimes_come_back_in_the_project_timezone_with_offset(
    los_angeles: tuple[EmulatorServer, Query],
) -> None:
    _, query = los_angeles
    body = query("SELECT event, timestamp, toStartOfDay(timestamp) FROM events ORDER BY timestamp")
    assert body["results"] == [
        ["a", "2024-03-10T01:30:00-08:00", "2024-03-10T00:00:00-08:00"],
        ["b", "2024-03-10T03:30:00.123456-07:00", "2024-03-10T00:00:00-08:00"],
        # 06:59 UTC on the 11th is still the 10th in Los Angeles.
        ["c", "2024-03-10T23:59:00-07:00", "2024-03-10T00:00:00-08:00"],
    ]
    assert body["types"][1] == ["timestamp", "DateTime64(6, 'America/Los_Angeles')"]
    assert body["timezone"] == "America/Los_Angeles"
    assert body["modifiers"]["convertToProjectTimezone"] is True


def test_weeks_start_on_the_project_week_start(los_angeles: tuple[EmulatorServer, Query]) -> None:
    _, query = los_angeles
    body = query("SELECT DISTINCT toStartOfWeek(timestamp) FROM events")
    # 2024-03-10 is a Sunday; this project's weeks start on Monday.
    assert body["results"] == [["2024-03-04"]]


def test_string_constants_are_read_in_the_project_timezone(
    los_angeles: tuple[EmulatorServer, Query],
) -> None:
    _, query = los_angeles
    text = "SELECT count() FROM events WHERE timestamp >= '2024-03-10 03:00:00'"
    assert query(text)["results"] == [[2]]  # 03:00 PDT is 10:00 UTC
    assert query(text, convertToProjectTimezone=False)["results"] == [[3]]
    iso = "SELECT count() FROM events WHERE timestamp >= '2024-03-10T03:00:00'"
    assert query(iso)["results"] == [[2]]


def test_modifier_off_answers_in_utc(los_angeles: tuple[EmulatorServer, Query]) -> None:
    _, query = los_angeles
    body = query(
        "SELECT timestamp, toStartOfDay(timestamp) FROM events ORDER BY timestamp",
        convertToProjectTimezone=False,
    )
    assert body["results"][2] == ["2024-03-11T06:59:00Z", "2024-03-11T00:00:00Z"]
    # The week start is the project's either way.
    weeks = query("SELECT toStartOfWeek(timestamp) FROM events", convertToProjectTimezone=False)
    assert {row[0] for row in weeks["results"]} == {"2024-03-04", "2024-03-11"}


def test_rest_answers_stay_utc(los_angeles: tuple[EmulatorServer, Query]) -> None:
    server, _ = los_angeles
    events = requests.get(
        f"{server.url}/api/projects/1/events/?orderBy=[%22timestamp%22]",
        headers={"Authorization": f"Bearer {server.api_key}"},
        timeout=30,
    ).json()["results"]
    stamps = [e["timestamp"] for e in events]
    assert all(s.endswith("+00:00") for s in stamps)
    assert [s[:19] for s in stamps] == [e["timestamp"][:19] for e in EVENTS]


def test_a_quarter_hour_offset() -> None:
    served = _serve("Asia/Kathmandu")
    _, query = next(served)
    body = query("SELECT timestamp, toHour(timestamp) FROM events ORDER BY timestamp LIMIT 1")
    assert body["results"] == [["2024-03-10T15:15:00+05:45", 15]]
    served.close()

"""``/query/``'s throttles as PostHog applies them, on a fake clock (no sleeping)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from posthog_emulator import Emulator, EmulatorServer, FakeClock


@pytest.fixture
def default_tier() -> Iterator[tuple[EmulatorServer, FakeClock]]:
    """An emulator whose project is in PostHog's default tier, as a new user's is."""
    app = Emulator()
    clock = FakeClock()
    app.clock = clock
    server = EmulatorServer(app)
    yield server, clock
    server.stop()


def _hogql(server: EmulatorServer, project: int = 1) -> requests.Response:
    return requests.post(
        f"{server.url}/api/projects/{project}/query/",
        json={"query": {"kind": "HogQLQuery", "query": "SELECT 1"}},
        headers={"Authorization": f"Bearer {server.api_key}"},
        timeout=30,
    )


def _poll(server: EmulatorServer, project: int = 1) -> requests.Response:
    return requests.get(
        f"{server.url}/api/projects/{project}/query/unknown-id/",
        headers={"Authorization": f"Bearer {server.api_key}"},
        timeout=30,
    )


def test_the_121st_hogql_query_in_an_hour_is_refused(
    default_tier: tuple[EmulatorServer, FakeClock],
) -> None:
    server, clock = default_tier
    for _ in range(120):
        assert _hogql(server).status_code == 200
        clock.advance(10)  # 120 queries over 20 minutes
    r = _hogql(server)
    assert r.status_code == 429
    # The first query leaves the hour's window 40 minutes from now.
    assert r.headers["Retry-After"] == str(3600 - 1200)
    assert r.json()["detail"] == "Request was throttled. Expected available in 2400 seconds."
    # Polling is not a HogQLQuery: it falls under the ClickHouse throttles and still answers.
    assert _poll(server).status_code == 404
    clock.advance(2400)
    assert _hogql(server).status_code == 200


def test_api_queries_tier_allows_240_a_minute(
    default_tier: tuple[EmulatorServer, FakeClock],
) -> None:
    server, clock = default_tier
    server.app.projects[1].settings.query_tier = "api-queries"
    # Cheap requests of the same throttle (polls of an unknown id) fill the minute.
    assert {_poll(server).status_code for _ in range(240)} == {404}
    r = _poll(server)
    assert (r.status_code, r.headers["Retry-After"]) == (429, "60")
    clock.advance(60)
    assert _hogql(server).status_code == 200
    # 121 HogQL queries in an hour are fine in this tier.
    for _ in range(121):
        clock.advance(1)
        assert _hogql(server).status_code == 200


def test_no_rate_limits_answers_everything(
    default_tier: tuple[EmulatorServer, FakeClock],
) -> None:
    server, _ = default_tier
    server.app.limits.configure(enabled=False)
    assert {_hogql(server).status_code for _ in range(125)} == {200}


def test_project_reports_timezone_and_week_start() -> None:
    app = Emulator(timezone="Asia/Kathmandu", week_start_day=1)
    with EmulatorServer(app) as server:
        body = requests.get(
            f"{server.url}/api/projects/1/",
            headers={"Authorization": f"Bearer {server.api_key}"},
            timeout=10,
        ).json()
    assert (body["timezone"], body["week_start_day"]) == ("Asia/Kathmandu", 1)
    with pytest.raises(ValueError, match="unknown timezone 'Mars/Olympus'"):
        Emulator(timezone="Mars/Olympus")

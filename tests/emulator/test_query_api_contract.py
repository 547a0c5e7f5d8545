"""The Query API's answers against the field list and rules PostHog's source gives
(`query-api.json` in the shared reference, beside the repository)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from posthog_emulator import EmulatorServer, FakeClock
from tests.shared_reference import load_posthog_source_facts


@pytest.fixture(scope="module")
def facts() -> dict[str, Any]:
    return load_posthog_source_facts("query-api.json", "Query API")


def _fields(model: dict[str, Any]) -> set[str]:
    return {name for name in model if not name.startswith("_")}


def _post(emulator: EmulatorServer, query: str, **extra: Any) -> requests.Response:
    return requests.post(
        f"{emulator.url}/api/projects/1/query/",
        json={"query": {"kind": "HogQLQuery", "query": query}, **extra},
        headers={"Authorization": f"Bearer {emulator.api_key}"},
        timeout=60,
    )


def _call(emulator: EmulatorServer, method: str, query_id: str) -> requests.Response:
    return requests.request(
        method,
        f"{emulator.url}/api/projects/1/query/{query_id}/",
        headers={"Authorization": f"Bearer {emulator.api_key}"},
        timeout=60,
    )


def test_every_response_field_is_present(emulator: EmulatorServer, facts: dict[str, Any]) -> None:
    response = facts["HogQLQueryResponse"]
    expected = _fields(response) | _fields(response["_cached_response_extra_fields"])
    assert len(expected) >= 18 + 8
    body = _post(emulator, "SELECT event FROM events LIMIT 1").json()
    assert expected - set(body) == set()
    assert body["timezone"] == "UTC" and body["is_cached"] is False


def test_no_limit_gives_the_default_rows_and_has_more(
    emulator: EmulatorServer, facts: dict[str, Any]
) -> None:
    default = facts["limits"]["DEFAULT_RETURNED_ROWS"]
    body = _post(emulator, "SELECT uuid FROM events").json()
    assert len(body["results"]) == default
    assert (body["hasMore"], body["limit"], body["offset"]) == (True, default, 0)
    limited = _post(emulator, "SELECT uuid FROM events LIMIT 5").json()
    assert len(limited["results"]) == 5 and limited["hasMore"] is None


def test_a_limit_above_the_maximum_is_lowered_silently(
    emulator: EmulatorServer, facts: dict[str, Any]
) -> None:
    most = facts["limits"]["MAX_SELECT_RETURNED_ROWS"]
    body = _post(emulator, f"SELECT number FROM numbers({most + 10}) LIMIT {most + 10}").json()
    assert len(body["results"]) == most


def test_async_status_holds_the_whole_response_and_expires(
    emulator: EmulatorServer, facts: dict[str, Any]
) -> None:
    clock = FakeClock()
    emulator.app.clock = clock
    r = _post(emulator, "SELECT 1 AS one", refresh="async", client_query_id="q-ttl")
    assert r.status_code == 202
    assert _fields(facts["QueryStatus"]) - set(r.json()["query_status"]) == set()
    emulator.app.queries._jobs["q-ttl"].done.wait(30)
    done = _call(emulator, "GET", "q-ttl").json()["query_status"]
    assert done["complete"] is True
    response = facts["HogQLQueryResponse"]
    assert _fields(response) - set(done["results"]) == set()
    assert done["results"]["results"] == [[1]] and done["results"]["columns"] == ["one"]
    ttl = 20 * 60  # QueryStatusManager.STATUS_TTL_SECONDS
    assert str(ttl) in facts["limits"]["others"]["async_status_ttl_seconds"]
    clock.advance(ttl - 1)
    assert _call(emulator, "GET", "q-ttl").status_code == 200
    clock.advance(2)
    gone = _call(emulator, "GET", "q-ttl")
    assert gone.status_code == 404
    assert gone.json()["detail"] == "Query q-ttl not found for team 1"


def test_delete_answers_200_with_a_message(emulator: EmulatorServer) -> None:
    emulator.app.queries.hold()
    _post(emulator, "SELECT 1", refresh="async", client_query_id="q-cancel")
    r = _call(emulator, "DELETE", "q-cancel")
    assert (r.status_code, r.json()) == (200, {"message": "Cancelled query on clickhouse"})
    assert _call(emulator, "GET", "q-cancel").status_code == 404
    emulator.app.queries.release()
    _post(emulator, "SELECT 1", refresh="async", client_query_id="q-done")
    emulator.app.queries._jobs["q-done"].done.wait(30)
    r = _call(emulator, "DELETE", "q-done")
    assert (r.status_code, r.json()) == (200, {"message": "Query already complete"})

"""The /query/ HTTP layer: sync HogQL, errors, async with polling, cancel, system tables."""

from __future__ import annotations

from typing import Any

import requests

from posthog_emulator import EmulatorServer


def _post(emulator: EmulatorServer, body: dict[str, Any]) -> requests.Response:
    return requests.post(
        f"{emulator.url}/api/projects/1/query/",
        json=body,
        headers={"Authorization": f"Bearer {emulator.api_key}"},
        timeout=60,
    )


def _hogql(query: str, **extra: Any) -> dict[str, Any]:
    return {"query": {"kind": "HogQLQuery", "query": query}, **extra}


def test_sync_query_returns_columns_types_results(emulator: EmulatorServer) -> None:
    r = _post(emulator, _hogql("SELECT count() AS c FROM events"))
    assert r.status_code == 200
    body = r.json()
    assert body["columns"] == ["c"] and body["results"] == [[20_000]]


def test_system_tables_see_rest_state(emulator: EmulatorServer) -> None:
    count = requests.get(
        f"{emulator.url}/api/projects/1/dashboards/", headers={"Authorization": "Bearer phx_demo"}
    ).json()["count"]
    r = _post(emulator, _hogql("SELECT count() FROM system.dashboards"))
    assert r.json()["results"] == [[count]]


def test_errors_are_validation_errors(emulator: EmulatorServer) -> None:
    r = _post(emulator, _hogql("SELEKT nope"))
    assert r.status_code == 400
    # PostHog's parser's own words, and the code_name of its SyntaxError class.
    assert r.json() == {
        "type": "validation_error",
        "code": "hogql_syntax_error",
        "detail": "mismatched input 'SELEKT' expecting {SELECT, WITH, '{', '(', '<'}",
        "attr": None,
    }
    r = _post(emulator, {"query": {"kind": "TrendsQuery"}})
    assert r.status_code == 400
    r = _post(emulator, {})
    assert r.json()["attr"] == "query"


def test_async_query_polls_to_completion_and_cancels(emulator: EmulatorServer) -> None:
    emulator.app.queries.hold()
    r = _post(emulator, _hogql("SELECT 1 AS one", refresh="async", client_query_id="q1"))
    assert r.status_code == 202
    status = r.json()["query_status"]
    assert status["id"] == "q1" and status["complete"] is False and status["team_id"] == 1
    url = f"{emulator.url}/api/projects/1/query/q1/"
    headers = {"Authorization": "Bearer phx_demo"}
    assert requests.get(url, headers=headers).status_code == 202
    emulator.app.queries.release()
    emulator.app.queries._jobs["q1"].done.wait(30)
    done = requests.get(url, headers=headers)
    assert done.status_code == 200
    assert done.json()["query_status"]["results"]["results"] == [[1]]
    assert requests.delete(url, headers=headers).status_code == 200


def test_query_concurrency_limit(emulator: EmulatorServer) -> None:
    import hashlib

    emulator.app.limits.configure(query_concurrency=1)
    key_hash = hashlib.sha256(b"phx_demo").hexdigest()
    emulator.app.limits.enter_query(key_hash)  # one query already running for this key
    r = _post(emulator, _hogql("SELECT 1"))
    assert r.status_code == 429 and "Retry-After" not in r.headers
    emulator.app.limits.leave_query(key_hash)
    assert _post(emulator, _hogql("SELECT 1")).status_code == 200

"""The emulator refuses what PostHog's parser, function registries and tables refuse."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from posthog_emulator import EmulatorServer, check_hogql


def _post(emulator: EmulatorServer, query: str) -> requests.Response:
    return requests.post(
        f"{emulator.url}/api/projects/{emulator.project_id}/query/",
        json={"query": {"kind": "HogQLQuery", "query": query}},
        headers={"Authorization": f"Bearer {emulator.api_key}"},
        timeout=30,
    )


@pytest.mark.parametrize(
    "query",
    [
        "SELECT event, count() FROM events GROUP BY event",
        "SELECT e.properties.$browser, person.properties.email AS em FROM events e WHERE em != ''",
        "SELECT session.$channel_type, pdi.person_id, group_0.properties.name FROM events",
        "SELECT COUNT(*), IFNULL(NULL, 1), coalesce(NULL, 2) FROM events",
        "SELECT x FROM (SELECT event AS x FROM events)",
        "SELECT $start_timestamp, $entry_utm_source, $is_bounce FROM sessions",
        "SELECT key, index, properties.name FROM groups",
        "SELECT 1 FROM events WHERE timestamp > {ts} AND event = {e}",
        "SELECT row_number() OVER (ORDER BY timestamp) FROM events",
        "SELECT JSONExtractString(properties, '$browser') FROM events",
    ],
)
def test_what_posthog_accepts_passes(query: str) -> None:
    assert check_hogql(query) is None


@pytest.mark.parametrize(
    ("query", "code", "detail"),
    [
        (
            "SELECT FROM WHERE",
            "hogql_syntax_error",
            "no viable alternative at input 'SELECT FROM WHERE'",
        ),
        (
            "SELECT 1; SELECT 2",
            "hogql_syntax_error",
            "mismatched input 'SELECT' expecting <EOF>",
        ),
        (
            "SELECT json_extract(properties, '$.a') FROM events",
            "hogql_query_error",
            "Unsupported function call 'json_extract(...)'",
        ),
        # Case-insensitive only where the registry says so: ifNull yes, toString no.
        ("SELECT ToString(1)", "hogql_query_error", "Unsupported function call 'ToString(...)'"),
        ("SELECT toFloat64(1)", "hogql_query_error", "Unsupported function call 'toFloat64(...)'"),
        ("SELECT foo FROM events", "hogql_query_error", "Unable to resolve field: foo"),
        ("SELECT person.nope FROM events", "hogql_query_error", "Unable to resolve field: nope"),
        ("SELECT $nope FROM sessions", "hogql_query_error", "Unable to resolve field: $nope"),
        (
            "SELECT p.nope FROM events e JOIN persons p ON p.id = e.person_id",
            "hogql_query_error",
            "Unable to resolve field: nope",
        ),
    ],
)
def test_what_posthog_refuses_is_refused(
    emulator: EmulatorServer, query: str, code: str, detail: str
) -> None:
    refusal = check_hogql(query)
    assert refusal is not None and (refusal.code, refusal.message) == (code, detail)
    r = _post(emulator, query)
    assert r.status_code == 400
    body: dict[str, Any] = r.json()
    assert body == {"type": "validation_error", "code": code, "detail": detail, "attr": None}

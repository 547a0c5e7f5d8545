"""PostHog's HogQL tables with every field its source lists, lazy joins by dotted access, and
demo data a user would query (channels, UTM entry fields, bounces, groups)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from posthog_emulator import Emulator, EmulatorServer
from tests.shared_reference import load_posthog_source_facts

# Fields that are joins to other tables: reached by dotted access, not selected bare.
JOIN_CLASSES = ("LazyJoin", "VirtualTable", "FieldTraverser")


@pytest.fixture(scope="module")
def tables() -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = load_posthog_source_facts(
        "hogql-tables-and-functions.json", "HogQL table"
    )["tables"]
    return found


def _query(emulator: EmulatorServer, text: str) -> dict[str, Any]:
    r = requests.post(
        f"{emulator.url}/api/projects/1/query/",
        json={"query": {"kind": "HogQLQuery", "query": text}},
        headers={"Authorization": f"Bearer {emulator.api_key}"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.mark.parametrize(
    ("table", "count"),
    [("events", 53), ("persons", 11), ("sessions", 49), ("person_distinct_ids", 5), ("groups", 9)],
)
def test_every_field_of_posthog_tables_is_there(
    emulator: EmulatorServer, tables: dict[str, dict[str, str]], table: str, count: int
) -> None:
    fields = tables[table]
    assert len(fields) == count
    plain = [f for f, kind in fields.items() if kind not in JOIN_CLASSES or f == "person_id"]
    body = _query(emulator, f"SELECT {', '.join(f'`{f}`' for f in plain)} FROM {table} LIMIT 1")
    assert body["columns"] == plain
    assert len(body["results"]) == 1


def test_lazy_joins_by_dotted_access(emulator: EmulatorServer) -> None:
    body = _query(
        emulator,
        "SELECT person.properties.email, pdi.person_id, session.$channel_type, "
        "group_0.properties.name, $group_0 FROM events "
        "WHERE person.properties.email IS NOT NULL AND $group_0 != '' LIMIT 5",
    )
    assert len(body["results"]) == 5
    for email, person_id, channel, company, key in body["results"]:
        assert "@" in email and len(person_id) == 36
        assert channel in {"Direct", "Email", "Paid Search", "Organic Search", "Organic Social"}
        assert company.lower() == key


def test_sessions_carry_what_web_analytics_needs(emulator: EmulatorServer) -> None:
    body = _query(
        emulator,
        "SELECT $channel_type, count(), countIf($entry_utm_source != ''), "
        "countIf($entry_gclid != ''), sum($is_bounce), countIf(length($urls) > 0) "
        "FROM sessions GROUP BY $channel_type ORDER BY $channel_type",
    )
    rows = {row[0]: row[1:] for row in body["results"]}
    assert {"Direct", "Email", "Paid Search"} <= set(rows)
    sessions, with_utm, with_gclid, _, with_urls = rows["Paid Search"]
    assert sessions == with_utm == with_gclid and with_urls > 0
    assert rows["Email"][1] == rows["Email"][0] and rows["Direct"][1] == 0
    assert sum(r[3] for r in rows.values()) > 0  # some sessions bounce


def test_properties_are_text_with_missing_and_null_as_null() -> None:
    # PostHog's printer: replaceRegexpAll(nullIf(nullIf(JSONExtractRaw(..), ''), 'null'), ..):
    # a missing key or a JSON null is NULL, an empty string stays '', numbers become text.
    app = Emulator(query_tier="api-queries")
    app.projects[1].events.add_events(
        [
            {"event": "probe", "distinct_id": "p1", "properties": {"a": "", "b": None}},
            {"event": "probe", "distinct_id": "p1", "properties": {"a": 5, "b": "x"}},
        ]
    )
    with EmulatorServer(app) as server:
        body = _query(
            server, "SELECT properties.a, properties.b, properties.missing FROM events ORDER BY 1"
        )
    assert body["results"] == [["", None, None], ["5", "x", None]]

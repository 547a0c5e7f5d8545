"""ORDER BY a JSON property, pushed down: SQLite's order of what json_extract returns (NULL, then
numbers by value with true/false as 1/0, then text by its bytes), over values of every JSON type.
"""

from __future__ import annotations

from typing import Any

import pytest

import posthog_dbapi
from posthog_emulator import EmulatorServer

from .hogql_grammar import parse_error

PROJECT = 48
VALUES: list[Any] = [
    3, 2.5, -1, 0, 100.0, 1e21, 2**53, -2.5e-7, "10", "abc", "Zed", "", "é", '"q"', "a\\b",
    True, False, None, {"a": 1}, {"b": [1, 2]}, [1, 2], [], "[x", "{y",
]  # fmt: skip


@pytest.fixture(scope="module")
def mixed(emulator_server: EmulatorServer) -> EmulatorServer:
    emulator_server.app.add_project(PROJECT)
    events = [
        {"event": f"e{i % 3}", "distinct_id": f"d{i}", "timestamp": f"2026-01-01T00:00:{i:02d}Z",
         "properties": {"v": value}}
        for i, value in enumerate(VALUES)
    ]  # fmt: skip
    events.append({"event": "e0", "distinct_id": "none", "timestamp": "2026-01-01T00:01:00Z"})
    emulator_server.app.projects[PROJECT].events.add_events(events)
    return emulator_server


def _run(server: EmulatorServer, sql: str, pushdown: str) -> tuple[list[Any], list[str]]:
    with posthog_dbapi.connect(server.url, server.api_key, PROJECT, pushdown=pushdown,
                               query_cache_ttl=0) as conn:  # fmt: skip
        cursor = conn.cursor().execute(sql)
        rows = cursor.fetchall()
        assert cursor.route == ("hogql" if pushdown == "auto" else "sqlite")
        return rows, [q for q in cursor.queries]


@pytest.mark.parametrize(
    "sql",
    [
        # A LIMIT: an order the Query API cannot page by keyset must fit one answer.
        "SELECT json_extract(properties, '$.v') AS v, distinct_id FROM events ORDER BY v, 2 "
        "LIMIT 100",
        "SELECT distinct_id FROM events ORDER BY json_extract(properties, '$.v') DESC, 1 LIMIT 100",
        "SELECT event, json_extract(properties, '$.v') FROM events ORDER BY 2 DESC, event, 1 "
        "LIMIT 7",
    ],
)
def test_json_values_order_as_in_sqlite(mixed: EmulatorServer, sql: str) -> None:
    pushed, queries = _run(mixed, sql, "auto")
    local, _ = _run(mixed, sql, "off")
    assert len(queries) == 1
    assert pushed == local
    assert len(pushed) == (7 if "LIMIT 7" in sql else len(VALUES) + 1)
    assert parse_error(queries[0]) is None

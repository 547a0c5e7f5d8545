"""Stored properties are JSON.stringify's text, as PostHog's Node.js ingestion writes them.

The JavaScript results below are facts of ECMA-262 (Number::toString, JSON.stringify), checked
by hand in a JavaScript console: `JSON.stringify({a: 100.0})` is `{"a":100}`,
`JSON.stringify(2 ** 64)` is `18446744073709552000`, `String(1e-7)` is `1e-7`.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import posthog_dbapi
from posthog_emulator import EmulatorServer
from posthog_emulator.ingest_json import js_number, stringify

PROJECT = 47


@pytest.mark.parametrize(
    ("number", "javascript"),
    [
        (100.0, "100"),
        (-0.0, "0"),
        (0.1, "0.1"),
        (1234567.0, "1234567"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1.5e300, "1.5e+300"),
        (0.000001, "0.000001"),
        (1e-7, "1e-7"),
        (-2.5e-7, "-2.5e-7"),
        (2**53, "9007199254740992"),
        (2**53 + 1, "9007199254740992"),
        (2**64, "18446744073709552000"),
        (-(2**60), "-1152921504606847000"),
        (float("nan"), "null"),
        (float("-inf"), "null"),
    ],
)
def test_numbers_print_as_javascript_prints_them(number: float, javascript: str) -> None:
    assert js_number(number) == javascript


def test_objects_are_compact_and_keep_text_as_itself() -> None:
    text = stringify({"a": [1, 2.0, {"b": "é"}], "c": True, "d": None, "e": "\ud800"})
    assert text == '{"a":[1,2,{"b":"é"}],"c":true,"d":null,"e":"\\ud800"}'


@pytest.fixture(scope="module")
def stored(emulator_server: EmulatorServer) -> EmulatorServer:
    emulator_server.app.add_project(PROJECT)
    emulator_server.app.projects[PROJECT].events.add_events(
        [
            {
                "event": "order",
                "distinct_id": "buyer",
                "timestamp": "2026-01-02T03:04:05Z",
                "properties": {"price": 100.0, "big": 2**64, "tiny": 1e-7, "bad": float("nan")},
            }
        ]
    )
    return emulator_server


def _rows(server: EmulatorServer, sql: str, pushdown: str) -> list[tuple[Any, ...]]:
    with posthog_dbapi.connect(server.url, server.api_key, PROJECT, pushdown=pushdown,
                               query_cache_ttl=0) as conn:  # fmt: skip
        return conn.cursor().execute(sql).fetchall()


def test_the_query_api_returns_the_text_ingestion_stored(stored: EmulatorServer) -> None:
    [(properties,)] = _rows(stored, "SELECT properties FROM events", "auto")
    assert properties == '{"price":100,"big":18446744073709552000,"tiny":1e-7,"bad":null}'


def test_an_integral_float_reads_as_the_same_value_and_type_on_both_routes(
    stored: EmulatorServer,
) -> None:
    sql = (
        "SELECT json_extract(properties, '$.price'), json_extract(properties, '$.tiny'), "
        "json_extract(properties, '$.bad') FROM events"
    )
    pushed, local = _rows(stored, sql, "auto"), _rows(stored, sql, "off")
    assert pushed == local == [(100, 1e-7, None)]
    assert [type(v) for v in pushed[0]] == [type(v) for v in local[0]] == [int, float, type(None)]
    assert json.loads(_rows(stored, "SELECT properties FROM events", "off")[0][0])["price"] == 100


def test_demo_properties_are_written_as_json_stringify_writes_them(
    emulator_server: EmulatorServer,
) -> None:
    server = emulator_server
    with posthog_dbapi.connect(server.url, server.api_key, server.project_id) as conn:
        sql = "SELECT properties FROM events WHERE event = '$pageview' LIMIT 50"
        texts = [text for (text,) in conn.cursor().execute(sql)]
    assert len(texts) == 50
    assert all(stringify(json.loads(text)) == text for text in texts)
    assert any('"https://' in text for text in texts)

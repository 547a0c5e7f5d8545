"""Translation units: SQLite SELECT in, HogQL text and values out; result typing."""

from __future__ import annotations

import datetime as dt

import pytest

from posthog_dbapi.exceptions import NotSupportedError
from posthog_dbapi.sql.pushdown_planner import Fallback, PushdownPlan, native_plan, plan
from posthog_dbapi.sql.pushdown_types import converter_for, decode_json_value, description_for


def _plan(sql: str, params: list[object] | None = None) -> PushdownPlan:
    chosen = plan(sql, params or [])
    assert isinstance(chosen, PushdownPlan), chosen
    return chosen


def test_an_aggregate_becomes_one_hogql_query_with_values() -> None:
    chosen = _plan("SELECT event, count(*) FROM events WHERE event = ? GROUP BY event", ["x"])
    assert chosen.mode == "single"
    assert chosen.hogql == (
        "SELECT t0.event AS c0, COUNT() AS c1 FROM events AS t0 WHERE t0.event = {p0} "
        "GROUP BY t0.event LIMIT 50000"
    )
    assert chosen.values == {"p0": "x"}
    assert chosen.columns == ["event", "count(*)"]


def test_a_row_scan_pages_by_timestamp_then_uuid() -> None:
    chosen = _plan("SELECT event FROM events LIMIT 10 OFFSET 5")
    assert chosen.mode == "keyset"
    assert "ORDER BY t0.timestamp ASC NULLS FIRST, toString(t0.uuid) ASC" in chosen.hogql
    assert chosen.hogql.endswith("LIMIT 15")
    assert "OFFSET" not in chosen.hogql


def test_dollar_columns_are_quoted_with_backticks() -> None:
    chosen = _plan('SELECT "$session_id" FROM events LIMIT 1')
    assert "t0.`$session_id` AS c0" in chosen.hogql


def test_property_access_reads_raw_json_with_the_key_as_a_value() -> None:
    chosen = _plan("SELECT properties ->> '$.plan' FROM events LIMIT 1")
    assert "JSONExtractRaw(t0.properties, {p0}) AS c0" in chosen.hogql
    assert chosen.values == {"p0": "plan"}


def test_a_date_comparison_becomes_a_timestamp_range() -> None:
    chosen = _plan("SELECT count(*) FROM events WHERE timestamp <= '2024-03-05'")
    # SQLite compares text: every stored timestamp of 2024-03-05 is greater than the date.
    assert "t0.timestamp < {p1}" in chosen.hogql
    assert chosen.values == {"p1": "2024-03-05T00:00:00.000000Z"}


@pytest.mark.parametrize(
    ("grain", "function"),
    [
        ("DATETIME(timestamp, 'start of day')", "toStartOfDay"),
        ("DATETIME(timestamp, 'start of month')", "toStartOfMonth"),
        ("DATETIME(timestamp, 'start of year')", "toStartOfYear"),
        ("DATETIME(timestamp, 'start of day', -strftime('%w', timestamp) || ' days')",
         "toStartOfWeek"),
        ("DATETIME(timestamp, 'start of month', printf('-%d month', "
         "(strftime('%m', timestamp) - 1) % 3))", "toStartOfQuarter"),
    ],
)  # fmt: skip
def test_superset_time_grains(grain: str, function: str) -> None:
    chosen = _plan(f"SELECT {grain} AS t, count(*) FROM events GROUP BY t")
    assert f"formatDateTime({function}(t0.timestamp" in chosen.hogql
    assert "%Y-%m-%d %H:%i:%S" in chosen.values.values()


def test_pushdown_required_refuses_what_cannot_be_pushed() -> None:
    with pytest.raises(NotSupportedError, match="cannot run as HogQL: StrPosition"):
        plan("SELECT event FROM events WHERE instr(event, 'x') > 0", [], pushdown="required")
    assert isinstance(plan("SELECT count(*) FROM events", [], pushdown="off"), Fallback)


def test_rest_tables_fall_back() -> None:
    chosen = plan("SELECT name FROM dashboards", [])
    assert isinstance(chosen, Fallback)
    assert "dashboards" in chosen.reason


def test_native_mode_sends_hogql_verbatim() -> None:
    chosen = native_plan("SELECT properties.$browser FROM events WHERE event = {e}", {"e": "x"})
    assert chosen.hogql == "SELECT properties.$browser FROM events WHERE event = {e}"
    assert chosen.values == {"e": "x"}


def test_result_types() -> None:
    when = converter_for("DateTime64(6, 'UTC')")("2024-01-02T03:04:05.123456Z")
    assert when == dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=dt.timezone.utc)
    assert converter_for("Nullable(UInt64)")("18446744073709551615") == 2**64 - 1
    assert converter_for("LowCardinality(Nullable(String))")(None) is None
    assert converter_for("Array(DateTime('UTC'))")(["2024-01-01 00:00:00"]) == [
        dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    ]
    assert converter_for("Bool")(True) == 1
    assert description_for("n", "Nullable(Float64)") == ("n", "float", None, None, None, None, True)
    assert decode_json_value('"pro"') == "pro"
    assert decode_json_value("12.5") == 12.5
    assert decode_json_value("true") == 1
    assert decode_json_value("") is None
    assert decode_json_value('{"a": [1, 2]}') == '{"a":[1,2]}'


GLOB_PATTERNS = ["$*", "user_?", "*view", "[a-c]*", "[^a-c]*", "a[]]b", "*.*", "?*?", "x+y", ""]
GLOB_SUBJECTS = ["$pageview", "user_1", "user_12", "apple", "dog", "a]b", "a.b", "x+y", "", "é"]


@pytest.mark.parametrize("pattern", GLOB_PATTERNS)
def test_glob_regex_matches_what_sqlite_globs(pattern: str) -> None:
    import re
    import sqlite3

    from posthog_dbapi.sql.pushdown_functions import glob_regex

    regex = glob_regex(pattern)
    assert regex is not None
    db = sqlite3.connect(":memory:")
    for subject in GLOB_SUBJECTS:
        (expected,) = db.execute("SELECT ? GLOB ?", (subject, pattern)).fetchone()
        assert bool(re.search(regex, subject)) == bool(expected), (pattern, subject)

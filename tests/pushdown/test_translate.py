"""Translation units: SQLite SELECT in, a plan out, judged by its rows against the oracle
(``tests.oracle``) and by what is a contract in its text: user values as placeholder values,
no OFFSET, native HogQL sent verbatim; result typing."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import pytest

from posthog_dbapi import PostHogDriver
from posthog_dbapi.exceptions import NotSupportedError
from posthog_dbapi.sql.pushdown_planner import Fallback, PushdownPlan, execute, native_plan, plan
from posthog_dbapi.sql.pushdown_types import converter_for, decode_json_value, description_for
from posthog_emulator import EmulatorServer
from tests.pushdown.test_differential import _normal


def _plan(sql: str, params: list[object] | None = None) -> PushdownPlan:
    chosen = plan(sql, params or [])
    assert isinstance(chosen, PushdownPlan), chosen
    return chosen


def _rows(driver: PostHogDriver, chosen: PushdownPlan) -> list[tuple[Any, ...]]:
    return [tuple(_normal(v) for v in row) for row in execute(driver, chosen)]


def _oracle(db: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    return [tuple(_normal(v) for v in row) for row in db.execute(sql, params)]


def test_an_aggregate_becomes_one_hogql_query_with_values(
    driver: PostHogDriver, fallback_db: sqlite3.Connection, emulator: EmulatorServer
) -> None:
    sql = "SELECT event, count(*) FROM events WHERE event = ? GROUP BY event"
    chosen = _plan(sql, ["purchase"])
    assert chosen.mode == "single"
    # The user's value travels as a placeholder value, never inside the HogQL text.
    assert list(chosen.values.values()) == ["purchase"]
    assert "purchase" not in chosen.hogql
    assert chosen.columns == ["event", "count(*)"]
    emulator.app.request_log.clear()
    assert _rows(driver, chosen) == _oracle(fallback_db, sql, ("purchase",))
    assert sum(1 for r in emulator.app.request_log if r.path.endswith("/query/")) == 1


def test_a_row_scan_pages_by_timestamp_then_uuid(
    driver: PostHogDriver, fallback_db: sqlite3.Connection
) -> None:
    chosen = _plan("SELECT uuid FROM events LIMIT 10 OFFSET 5")
    assert chosen.mode == "keyset"
    # PostHog refuses OFFSET from a personal API key (the emulator too): the rows skipped are
    # read and dropped, in the keyset order.
    assert "OFFSET" not in chosen.hogql
    expected = _oracle(
        fallback_db, "SELECT uuid FROM events ORDER BY timestamp, uuid LIMIT 10 OFFSET 5"
    )
    assert _rows(driver, chosen) == expected


def test_dollar_columns_are_quoted(driver: PostHogDriver, fallback_db: sqlite3.Connection) -> None:
    sql = "SELECT uuid, \"$session_id\" FROM events WHERE event = 'purchase'"
    got = _rows(driver, _plan(sql))
    assert got and sorted(got) == sorted(_oracle(fallback_db, sql))


def test_property_access_reads_raw_json_with_the_key_as_a_value(
    driver: PostHogDriver, fallback_db: sqlite3.Connection
) -> None:
    sql = "SELECT uuid, properties ->> '$.plan' FROM events WHERE event = 'purchase'"
    chosen = _plan(sql)
    assert "plan" in chosen.values.values() and "'plan'" not in chosen.hogql
    got = _rows(driver, chosen)
    assert any(plan is not None for _, plan in got)
    assert sorted(got, key=repr) == sorted(_oracle(fallback_db, sql), key=repr)


def test_a_date_comparison_becomes_a_timestamp_range(
    driver: PostHogDriver, fallback_db: sqlite3.Connection
) -> None:
    # SQLite compares text: every stored timestamp of the day is greater than the bare date,
    # so `<= day` keeps the days before it only. The day is one inside the data.
    (total,) = fallback_db.execute("SELECT count(*) FROM events").fetchone()
    (middle,) = fallback_db.execute(
        "SELECT timestamp FROM events ORDER BY timestamp LIMIT 1 OFFSET ?", (total // 2,)
    ).fetchone()
    sql = "SELECT count(*) FROM events WHERE timestamp <= ?"
    expected = _oracle(fallback_db, sql, (middle[:10],))
    assert 0 < expected[0][0] < total
    assert _rows(driver, _plan(sql, [middle[:10]])) == expected


@pytest.mark.parametrize(
    "grain",
    [
        "DATETIME(timestamp, 'start of day')",
        "DATETIME(timestamp, 'start of month')",
        "DATETIME(timestamp, 'start of year')",
        "DATETIME(timestamp, 'start of day', -strftime('%w', timestamp) || ' days')",
        "DATETIME(timestamp, 'start of month', printf('-%d month', "
        "(strftime('%m', timestamp) - 1) % 3))",
    ],
)
def test_superset_time_grains(
    grain: str, driver: PostHogDriver, fallback_db: sqlite3.Connection, emulator: EmulatorServer
) -> None:
    # Superset's SQLite grain expressions: one HogQL request, the rows SQLite gives.
    sql = f"SELECT {grain} AS t, count(*) FROM events GROUP BY t ORDER BY t"
    chosen = _plan(sql)
    assert chosen.mode == "single"
    emulator.app.request_log.clear()
    got = _rows(driver, chosen)
    assert sum(1 for r in emulator.app.request_log if r.path.endswith("/query/")) == 1
    expected = _oracle(fallback_db, sql)
    assert expected and got == expected


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

"""Hostile values and identifiers never change the structure of the HogQL sent."""

from __future__ import annotations

import json

import apsw
import pytest
from hostile_values import HOSTILE_VALUES

from posthog_dbapi import PostHogDriver
from posthog_dbapi.sql.pushdown_planner import Fallback, PushdownPlan, execute, plan

TEMPLATES = [
    "SELECT count(*) FROM events WHERE event = ?",
    "SELECT uuid FROM events WHERE distinct_id LIKE ?",
    "SELECT count(*) FROM events WHERE json_extract(properties, '$.plan') = ?",
    "SELECT count(*) FROM events WHERE event IN (?, 'x')",
    "SELECT strftime('%Y', timestamp) FROM events WHERE ? = event LIMIT 1",
]


def _hogql(sql: str, params: list[object]) -> PushdownPlan:
    chosen = plan(sql, params)
    assert isinstance(chosen, PushdownPlan), chosen
    return chosen


_ANY, _ONE = object(), object()


def _sqlite_like(pattern: str) -> list[object]:
    """A LIKE pattern as SQLite reads it (no ESCAPE clause, ASCII case ignored): tokens."""
    return [_ANY if c == "%" else _ONE if c == "_" else c.lower() for c in pattern]


def _clickhouse_like(pattern: str) -> list[object]:
    """A LIKE pattern as ClickHouse reads it: a backslash makes the next character literal."""
    tokens: list[object] = []
    chars = iter(pattern)
    for c in chars:
        if c == "\\":
            tokens.append(next(chars, "\\").lower())
        else:
            tokens.append(_ANY if c == "%" else _ONE if c == "_" else c.lower())
    return tokens


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_a_hostile_parameter_leaves_the_hogql_unchanged(template: str, value: str) -> None:
    benign = _hogql(template, ["benign"])
    hostile = _hogql(template, [value])
    assert hostile.hogql == benign.hogql
    assert hostile.values.keys() == benign.values.keys()
    bound = [k for k in benign.values if benign.values[k] != hostile.values[k]]
    assert len(bound) == 1, (benign.values, hostile.values)
    sent = hostile.values[bound[0]]
    if "LIKE" in template:
        # The pattern may be re-escaped for ClickHouse, but must match what SQLite's would.
        assert isinstance(sent, str)
        assert _clickhouse_like(sent) == _sqlite_like(value), sent
    else:
        assert sent == value


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_a_hostile_literal_leaves_the_hogql_unchanged(value: str) -> None:
    quoted = "'" + value.replace("'", "''") + "'"
    benign = _hogql("SELECT count(*) FROM events WHERE event = 'benign'", [])
    hostile = _hogql(f"SELECT count(*) FROM events WHERE event = {quoted}", [])
    assert hostile.hogql == benign.hogql
    assert list(hostile.values.values()) == [value]


def _sqlite_reads_key(path: str, key: str) -> bool:
    """Whether SQLite (apsw's, the engine of the SQLite path) finds ``key`` at JSON ``path``."""
    db = apsw.Connection(":memory:")
    try:
        rows = list(db.execute("SELECT json_extract(?, ?)", (json.dumps({key: "hit"}), path)))
    except apsw.Error:
        return False
    finally:
        db.close()
    return rows == [("hit",)]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_a_hostile_json_key_is_a_value(value: str) -> None:
    path = "$." + value
    quoted = path.replace("'", "''")
    benign = _hogql("SELECT json_extract(properties, '$.plan') FROM events LIMIT 1", [])
    chosen = plan(f"SELECT json_extract(properties, '{quoted}') FROM events LIMIT 1", [])
    if isinstance(chosen, PushdownPlan):
        assert chosen.hogql == benign.hogql
        (key,) = chosen.values.values()
        assert isinstance(key, str)
        assert _sqlite_reads_key(path, key), f"SQLite does not read key {key!r} at {path!r}"
    else:
        # Keys SQLite's path syntax cannot name plainly ('"', '.') may stay on the SQLite path.
        assert isinstance(chosen, Fallback), chosen


@pytest.mark.parametrize(
    "alias",
    ['"x`; DROP TABLE events; --"', '"{p0}"', '"a``b"', '"line\nbreak"', "[weird name]"],
)
def test_hostile_aliases_never_reach_the_hogql(alias: str) -> None:
    sql = f"SELECT e.event AS {alias}, count(*) FROM events AS e GROUP BY 1 ORDER BY {alias}"
    chosen = _hogql(sql, [])
    benign = _hogql(
        "SELECT e.event AS name, count(*) FROM events AS e GROUP BY 1 ORDER BY name", []
    )
    assert chosen.hogql == benign.hogql
    assert chosen.columns[0] == alias.strip('"[]').replace('""', '"')


@pytest.mark.parametrize(
    "sql",
    [
        'SELECT "event`; DROP TABLE x" FROM events',
        "SELECT `uuid``` FROM events",
        'SELECT count(*) FROM "events; --"',
        'SELECT count(*) FROM events WHERE "$session_id`" = 1',
    ],
)
def test_hostile_identifiers_are_not_pushed_down(sql: str) -> None:
    assert isinstance(plan(sql, []), Fallback)


def test_hostile_values_reach_the_server_as_values(driver: PostHogDriver) -> None:
    for value in HOSTILE_VALUES:
        chosen = _hogql("SELECT count(*) FROM events WHERE event = ?", [value])
        assert list(execute(driver, chosen)) == [(0,)]
    chosen = _hogql(
        "SELECT count(*) FROM events WHERE event = ? OR event = ?", ["{p0}", "$pageview"]
    )
    ((count,),) = list(execute(driver, chosen))
    assert count > 0

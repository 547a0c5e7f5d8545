"""Hostile values and identifiers never change the structure of the HogQL sent."""

from __future__ import annotations

import pytest

from posthog_dbapi import PostHogDriver
from posthog_dbapi.sql.pushdown_planner import Fallback, PushdownPlan, execute, plan

HOSTILE_VALUES = [
    "it's",
    "{p0}",
    "{x}",
    "`event`",
    "a' OR 1=1 --",
    "x /* comment */ y",
    "line\nbreak",
    "back\\slash",
    '"; DROP TABLE events; --',
    "}{",
    "' UNION SELECT * FROM persons --",
]

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


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_a_hostile_parameter_leaves_the_hogql_unchanged(template: str, value: str) -> None:
    benign = _hogql(template, ["benign"])
    hostile = _hogql(template, [value])
    assert hostile.hogql == benign.hogql
    assert "\\" in value or any(
        value in str(v) or value.lower() in str(v) for v in hostile.values.values()
    )


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_a_hostile_literal_leaves_the_hogql_unchanged(value: str) -> None:
    quoted = "'" + value.replace("'", "''") + "'"
    benign = _hogql("SELECT count(*) FROM events WHERE event = 'benign'", [])
    hostile = _hogql(f"SELECT count(*) FROM events WHERE event = {quoted}", [])
    assert hostile.hogql == benign.hogql
    assert list(hostile.values.values()) == [value]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_a_hostile_json_key_is_a_value(value: str) -> None:
    if '"' in value or "." in value or "\\" in value:
        pytest.skip("not a plain JSON path key")
    path = "$." + value.replace("'", "''")
    benign = _hogql("SELECT json_extract(properties, '$.plan') FROM events LIMIT 1", [])
    hostile = _hogql(f"SELECT json_extract(properties, '{path}') FROM events LIMIT 1", [])
    assert hostile.hogql == benign.hogql


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

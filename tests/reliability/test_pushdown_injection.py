"""HogQL injection in every position of a SELECT never changes the structure of the HogQL sent.

Each position is a template with one slot. A hostile value (quotes, ``{x}`` braces, backticks,
comments, newlines, backslashes) in a value slot must give HogQL text identical to a benign
value's, the hostile text travelling only in the Query API's ``values``. A hostile identifier
(alias, table or column name) is either mapped to a generated name (same HogQL as a benign one)
or refused, so the statement runs in SQLite and nothing hostile is sent at all.
"""

from __future__ import annotations

from typing import Any

import pytest
from hostile_values import HOSTILE_VALUES, NON_ASCII_VALUES

import posthog_dbapi
from posthog_dbapi.sql.pushdown_planner import Fallback, PushdownPlan, plan
from posthog_emulator import EmulatorServer

from .conftest import record

HOSTILE = [*HOSTILE_VALUES, *NON_ASCII_VALUES]

# Value positions: the slot is a ? parameter (and, in the literal test, a SQL string literal).
VALUE_TEMPLATES = {
    "select list": "SELECT {v} AS tag, event FROM events LIMIT 5",
    "where": "SELECT count(*) FROM events WHERE event = {v}",
    "group by": "SELECT count(*) FROM events GROUP BY event || {v}",
    "having": "SELECT event, count(*) FROM events GROUP BY event HAVING max(distinct_id) > {v}",
    "order by": "SELECT uuid FROM events ORDER BY event || {v}, uuid LIMIT 10",
    "in list": "SELECT count(*) FROM events WHERE event IN ({v}, 'purchase')",
    "like pattern": "SELECT count(*) FROM events WHERE distinct_id LIKE {v}",
    "cte body": "WITH t AS (SELECT event FROM events WHERE event = {v}) SELECT count(*) FROM t",
    "subquery": "SELECT count(*) FROM events WHERE distinct_id IN "
    "(SELECT distinct_id FROM events WHERE event = {v})",
    "scalar subquery": "SELECT (SELECT count(*) FROM events WHERE event = {v}) AS n "
    "FROM events LIMIT 1",
    "case": "SELECT CASE WHEN event = {v} THEN 'a' ELSE {v} END AS k FROM events LIMIT 3",
    "coalesce": "SELECT coalesce(NULL, {v}) AS c FROM events LIMIT 2",
    "property comparison": "SELECT count(*) FROM events WHERE properties ->> '$.plan' = {v}",
    "persons": "SELECT count(*) FROM persons WHERE json_extract(properties, '$.email') = {v}",
    "sessions": 'SELECT count(*) FROM sessions WHERE "$entry_pathname" = {v}',
}

# Identifier positions: the slot is a double-quoted SQLite identifier.
IDENT_TEMPLATES = {
    "alias": "SELECT event AS {i}, count(*) AS n FROM events GROUP BY event",
    "table alias": "SELECT {i}.event FROM events AS {i} WHERE {i}.event = 'x'",
    "cte name": "WITH {i} AS (SELECT event FROM events) SELECT count(*) FROM {i}",
    "subquery alias": "SELECT count(*) FROM (SELECT event FROM events) AS {i}",
    "table": "SELECT count(*) FROM {i}",
    "column": "SELECT {i} FROM events",
    "json key": "SELECT json_extract(properties, '$.{k}') FROM events LIMIT 1",
}

CHECKED = {"value": 0, "identifier": 0, "fallback": 0}


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _chosen(sql: str, params: list[Any]) -> PushdownPlan | Fallback:
    return plan(sql, params)


@pytest.mark.parametrize("position", sorted(VALUE_TEMPLATES))
def test_a_hostile_value_in_every_position_is_only_a_value(position: str) -> None:
    template = VALUE_TEMPLATES[position]
    count = template.count("{v}")
    benign = _chosen(template.replace("{v}", "?"), ["benign"] * count)
    assert isinstance(benign, PushdownPlan), (position, benign)
    for value in HOSTILE:
        as_param = _chosen(template.replace("{v}", "?"), [value] * count)
        as_literal = _chosen(template.replace("{v}", _quote_text(value)), [])
        for hostile in (as_param, as_literal):
            if isinstance(hostile, Fallback) and "non-ASCII" in hostile.reason:
                CHECKED["fallback"] += 1  # SQLite's LIKE folds ASCII only: not exact in HogQL
                continue
            assert isinstance(hostile, PushdownPlan), (position, value, hostile)
            assert hostile.hogql == benign.hogql, (position, value)
            # The hostile text is carried as data (LIKE lowers ASCII and doubles backslashes).
            sent = [str(v) for v in hostile.values.values()]
            assert any(value in s or value.lower() in s or "\\\\" in s for s in sent), sent
            CHECKED["value"] += 1


@pytest.mark.parametrize("value", [5, "5", "1; DROP TABLE events", "{p0}", 10**18, -1, 2.5])
def test_limit_and_offset_parameters_are_numbers_or_refused(value: Any) -> None:
    benign = _chosen("SELECT uuid FROM events ORDER BY uuid LIMIT ? OFFSET ?", [3, 4])
    assert isinstance(benign, PushdownPlan)
    for params in ([value, 4], [3, value]):
        chosen = _chosen("SELECT uuid FROM events ORDER BY uuid LIMIT ? OFFSET ?", params)
        if isinstance(value, int) and not isinstance(value, bool):
            assert isinstance(chosen, PushdownPlan)
            # Only the page LIMIT's number may differ: it is rendered from a Python int.
            assert chosen.hogql.rsplit("LIMIT", 1)[0] == benign.hogql.rsplit("LIMIT", 1)[0]
            assert chosen.hogql.rsplit("LIMIT", 1)[1].strip().isdigit()
        else:
            assert isinstance(chosen, Fallback), (params, chosen)
            CHECKED["fallback"] += 1


@pytest.mark.parametrize("position", sorted(IDENT_TEMPLATES))
def test_a_hostile_identifier_is_mapped_or_refused(position: str) -> None:
    template = IDENT_TEMPLATES[position]
    plain = {"table": "events", "column": "event"}.get(position, "benign")
    benign = _chosen(template.replace("{i}", plain).replace("{k}", plain), [])
    for name in [*HOSTILE, "events", "persons` UNION SELECT 1 --"]:
        sql = template.replace("{i}", _quote_ident(name)).replace("{k}", name.replace("'", "''"))
        chosen = _chosen(sql, [])
        if isinstance(chosen, Fallback):
            CHECKED["fallback"] += 1
            continue
        CHECKED["identifier"] += 1
        assert isinstance(benign, PushdownPlan), (position, name)
        assert chosen.hogql == benign.hogql, (position, name, chosen.hogql)
        for text in (name, "DROP", "UNION", "--", "/*"):
            assert text not in chosen.hogql or text in benign.hogql, (position, name)


def test_hostile_values_through_the_cursor_match_sqlite(emulator: EmulatorServer) -> None:
    """End to end: the hostile value reaches PostHog as data, so both routes agree."""
    connect = posthog_dbapi.connect
    server = emulator
    pushed = connect(server.url, server.api_key, 1, pushdown="required", rate_budget=False)
    local = connect(server.url, server.api_key, 1, pushdown="off", rate_budget=False)
    try:
        for value in [v for v in HOSTILE if v.isascii()]:
            sql = "SELECT count(*), max(?) FROM events WHERE event != ? AND distinct_id LIKE ?"
            params = (value, value, value + "%")
            a = pushed.cursor().execute(sql, params)
            b = local.cursor().execute(sql, params)
            assert a.route == "hogql" and b.route == "sqlite"
            assert a.fetchall() == b.fetchall(), value
    finally:
        pushed.close()
        local.close()
    record(
        "pushdown injection",
        values_checked=CHECKED["value"],
        identifiers_mapped=CHECKED["identifier"],
        refused_to_sqlite=CHECKED["fallback"],
        positions=len(VALUE_TEMPLATES) + len(IDENT_TEMPLATES) + 1,
    )

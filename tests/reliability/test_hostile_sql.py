"""Hostile input to the cursor: random text, grammar-shaped SQL and random parameter values.

Whatever comes in, only PEP 249 exceptions (``posthog_dbapi.exceptions.Error``) come out,
nothing hangs (pytest-timeout), and the connection still answers afterwards. Only SELECTs are
generated from the grammar: random writes to the shared emulator would test nothing more.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import posthog_dbapi.dbapi as dbapi
from posthog_dbapi.exceptions import Error

TABLES = ("dashboards", "feature_flags", "cohorts", "annotations", "no_such_table")
COLUMNS = ("id", "name", "key", "created_at", "deleted", "filters", "nope", "*", "count(*)")
OPERATORS = ("=", "<>", "<", ">=", "LIKE", "IS", "IN", "GLOB", "||", "+", "/")

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.binary(max_size=20),
    st.datetimes(timezones=st.sampled_from([None, dt.timezone.utc])),
    st.dates(),
    st.decimals(allow_nan=False),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.builds(object),
)
literal = st.one_of(
    st.just("?"),
    st.integers().map(str),
    st.text(max_size=12).map(lambda t: "'" + t.replace("'", "''") + "'"),
    st.text(max_size=12),  # unquoted garbage in a value position
    st.sampled_from(["NULL", "1e999", "X'00'", "(SELECT 1)", "'; DROP TABLE x; --"]),
)


@st.composite
def shaped_select(draw: Any) -> str:
    columns = ", ".join(draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=3)))
    table = draw(st.sampled_from(TABLES))
    sql = f"SELECT {columns} FROM {table}"
    if draw(st.booleans()):
        column = draw(st.sampled_from(COLUMNS))
        sql += f" WHERE {column} {draw(st.sampled_from(OPERATORS))} {draw(literal)}"
    if draw(st.booleans()):
        sql += f" ORDER BY {draw(st.sampled_from(COLUMNS))}"
    if draw(st.booleans()):
        sql += f" LIMIT {draw(literal)}"
    return sql


def run(cur: Any, sql: str, params: Any) -> None:
    try:
        cur.execute(sql, params)
        cur.fetchmany(5)
    except Error:
        pass  # any PEP 249 error is a fine answer; anything else fails the test


@pytest.fixture
def conn(emulator: Any) -> Any:
    connection = dbapi.connect(emulator.url, emulator.api_key, 1, max_retries=0)
    yield connection
    connection.close()


_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


@pytest.mark.timeout(120)
@_SETTINGS
@given(sql=st.text(max_size=80), params=st.lists(values, max_size=3))
def test_random_text_raises_only_pep249_errors(conn: Any, sql: str, params: list[Any]) -> None:
    cur = conn.cursor()
    run(cur, sql, params)
    assert cur.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.timeout(180)
@_SETTINGS
@given(sql=shaped_select(), params=st.lists(values, max_size=3))
def test_grammar_shaped_sql_raises_only_pep249_errors(
    conn: Any, sql: str, params: list[Any]
) -> None:
    cur = conn.cursor()
    run(cur, sql, params)
    assert cur.execute("SELECT count(*) FROM dashboards").fetchone()[0] > 0


@pytest.mark.timeout(120)
@_SETTINGS
@given(params=st.one_of(st.lists(values, max_size=4), st.dictionaries(st.text(), values)))
def test_random_parameters_raise_only_pep249_errors(conn: Any, params: Any) -> None:
    cur = conn.cursor()
    run(cur, "SELECT id, name FROM dashboards WHERE id = ? AND name <> ?", params)
    run(cur, "SELECT :a, :b", params)
    assert cur.execute("SELECT 1").fetchone() == (1,)


def test_decimal_and_object_values_bind(conn: Any) -> None:
    cur = conn.cursor()
    cur.execute("SELECT ?, ?", (decimal.Decimal("1.5"), dt.date(2024, 1, 2)))
    assert cur.fetchone() == (1.5, "2024-01-02")

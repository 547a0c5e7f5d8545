"""Hostile input to the cursor: random text, grammar-shaped SQL, random parameter values and
statements aimed at the host (files, schema, settings).

Whatever comes in, only PEP 249 exceptions (``posthog_dbapi.exceptions.Error``) come out,
nothing hangs (pytest-timeout), the connection still answers afterwards, and no file appears
in the working directory or the temporary directory. Only SELECTs are generated from the
grammar: random writes to the shared emulator would test nothing more.
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
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


FILE_PREFIX = "phfuzz_"
"""Every file name the hostile statements aim at starts with this, so a file that appeared in
the shared temporary directory is known to be ours."""


def _ours(directory: str) -> set[str]:
    # etilqs_ is the prefix of SQLite's own temporary files.
    return {n for n in os.listdir(directory) if n.startswith((FILE_PREFIX, "etilqs_"))}


@pytest.fixture(autouse=True)
def no_new_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test runs in an empty working directory, which must stay empty, and must leave
    no file of its own in the temporary directory (shared with other processes, so only names
    it could have made are looked at)."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    temp = tempfile.gettempdir()
    before = _ours(temp)
    yield
    assert sorted(os.listdir(cwd)) == []
    assert sorted(_ours(temp) - before) == []


@pytest.fixture
def conn(emulator: Any) -> Any:
    connection = dbapi.connect(emulator.url, emulator.api_key, 1, max_retries=0)
    yield connection
    connection.close()


# Examples, derandomization and health checks come from the profile loaded in tests/conftest.py.
_SETTINGS = settings()


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


_TEMP = tempfile.gettempdir()
file_names = st.one_of(
    st.from_regex(r"[a-z]{1,8}\.db", fullmatch=True).map(lambda n: FILE_PREFIX + n),
    st.from_regex(r"[a-z]{1,8}", fullmatch=True).map(
        lambda n: os.path.join(_TEMP, FILE_PREFIX + n)
    ),
    st.sampled_from([FILE_PREFIX + "x.db", f"file:{FILE_PREFIX}u.db?mode=rwc"]),
)
HOSTILE = (
    "ATTACH DATABASE '{f}' AS pwn",
    "ATTACH '{f}' AS pwn; CREATE TABLE pwn.t(x)",
    "VACUUM INTO '{f}'",
    "VACUUM main INTO '{f}'",
    "CREATE TABLE {t}(x)",
    "CREATE VIEW v AS SELECT * FROM {t}",
    "DROP TABLE {t}",
    "ALTER TABLE {t} RENAME TO gone",
    "PRAGMA writable_schema = ON",
    "PRAGMA temp_store = FILE",
    "PRAGMA journal_mode = WAL",
    "CREATE TEMP TABLE {t} AS SELECT 1",
    "DELETE FROM sqlite_master WHERE name = '{t}'",
    "SELECT load_extension('{f}')",
    "CREATE VIRTUAL TABLE x USING posthog('{t}', '{f}')",
)


@pytest.mark.timeout(120)
@_SETTINGS
@given(
    template=st.sampled_from(HOSTILE),
    name=file_names,
    table=st.sampled_from(TABLES[:4]),
)
def test_statements_aimed_at_the_host_touch_no_file_and_no_table(
    conn: Any, template: str, name: str, table: str
) -> None:
    cur = conn.cursor()
    run(cur, template.format(f=name, t=table), None)
    for sql in (f"SELECT count(*) FROM {table}", "SELECT count(*) FROM main.feature_flags"):
        assert cur.execute(sql).fetchone()[0] >= 0  # the PostHog tables are still there
    assert not os.path.exists(name.removeprefix("file:").split("?")[0])


def test_decimal_and_object_values_bind(conn: Any) -> None:
    cur = conn.cursor()
    cur.execute("SELECT ?, ?", (decimal.Decimal("1.5"), dt.date(2024, 1, 2)))
    assert cur.fetchone() == (1.5, "2024-01-02")

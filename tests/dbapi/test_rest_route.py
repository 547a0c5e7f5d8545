"""The ``"rest"`` route: a plain SELECT of one REST table, answered without SQLite, gives what the
SQLite route gives for the same rows (values, their types, order, description) with the same
requests. A connection whose ``rest_tables`` is empty runs every such statement in SQLite, so
each case is run both ways."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

import posthog_dbapi.dbapi as dbapi
from posthog_dbapi import PostHogDriver
from posthog_dbapi.adapters.rows import column_converter, python_converter
from posthog_dbapi.adapters.values import from_storage, storage_converter
from posthog_dbapi.catalog import RESOURCES
from posthog_dbapi.catalog.spec import type_code_for
from tests.hostile_values import HOSTILE_VALUES

from .same_outcome import same_outcome

REST_TABLES = sorted(
    n for n, r in RESOURCES.items() if r.hogql_table is None and not r.hogql_shared
)


@pytest.fixture
def local(emulator: Any) -> Iterator[dbapi.Connection]:
    """A connection with the rest route turned off: plain SELECTs run in SQLite."""
    connection = dbapi.connect(emulator.url, emulator.api_key, emulator.project_id, max_retries=0)
    connection.rest_tables = frozenset()
    yield connection
    connection.close()


def _both_ways(
    conn: Any, local: Any, emulator: Any, sql: str, params: Any = None
) -> tuple[Any, ...]:
    """The outcome of ``sql`` on the rest route, checked against the SQLite route's (errors
    by class: the two routes word some differently)."""
    direct, cursor, local_cursor = same_outcome(conn, local, emulator, sql, params, message=False)
    if direct[0] == "ok":
        assert cursor.route == "rest" and local_cursor.route == "sqlite", sql
    return direct


def test_every_rest_table_reads_the_same_by_both_routes(
    conn: Any, local: Any, emulator: Any
) -> None:
    compared = 0
    for table in REST_TABLES:
        direct = _both_ways(conn, local, emulator, f'SELECT * FROM "{table}"')
        if direct[0] == "ok":
            compared += len(direct[2])
    assert compared > 20  # the demo holds rows in several tables, of every column kind


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        ("SELECT name AS n, id, actions.* FROM actions LIMIT 2 OFFSET 1", None),
        ("SELECT a.name, a.created_at FROM actions a LIMIT ?", (2,)),
        ("SELECT * FROM actions LIMIT 1, 2", None),
        ("SELECT NAME, Id FROM feature_flags LIMIT 0", None),
        ("SELECT * FROM dashboards LIMIT 1000 OFFSET 1", None),
    ],
)
def test_columns_and_window_read_the_same_by_both_routes(
    conn: Any, local: Any, emulator: Any, sql: str, params: Any
) -> None:
    assert _both_ways(conn, local, emulator, sql, params)[0] == "ok"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM actions WHERE id > 0",
        "SELECT * FROM actions ORDER BY id",
        "SELECT count(*) FROM actions",
        "SELECT DISTINCT name FROM actions",
        "SELECT name, 1 FROM actions",
        "SELECT a.name FROM actions a JOIN dashboards d ON a.id = d.id",
        "SELECT * FROM actions LIMIT -1",
        "SELECT rowid, name FROM actions",
        "SELECT * FROM events LIMIT 3",
    ],
)
def test_statements_with_sql_logic_do_not_take_the_rest_route(conn: Any, sql: str) -> None:
    cursor = conn.cursor()
    cursor.execute(sql)
    cursor.fetchall()
    assert cursor.route in ("sqlite", "hogql")


def test_sqlite_errors_stay_sqlite_errors(conn: Any) -> None:
    cursor = conn.cursor()
    # SQLite knows an aliased table by its alias only; the rest route must not answer this.
    with pytest.raises(dbapi.ProgrammingError, match="no such column"):
        cursor.execute("SELECT actions.name FROM actions a")
    with pytest.raises(dbapi.Error):
        cursor.execute("SELECT * FROM actions OFFSET 2")


class _CountingDriver:
    """The real driver, counting the records its list scans hand out."""

    def __init__(self, driver: PostHogDriver) -> None:
        self._driver = driver
        self.pulled = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._driver, name)

    def iter_records(self, *args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        for record in self._driver.iter_records(*args, **kwargs):
            self.pulled += 1
            yield record


def test_rows_stream_as_they_are_fetched(emulator: Any, raw: Any) -> None:
    driver = PostHogDriver(
        api_url=emulator.url, api_key=emulator.api_key, project_id=emulator.project_id
    )
    counting = _CountingDriver(driver)
    connection = dbapi.connect(driver=counting)
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT id, name FROM actions")
        assert cursor.route == "rest" and counting.pulled == 1
        first = cursor.fetchmany(2)
        assert len(first) == 2 and counting.pulled == 2
        rest = cursor.fetchall()
        assert [r[0] for r in first + rest] == [r["id"] for r in raw("actions")]
    finally:
        connection.close()
        driver.close()


# --- conversions: the rest route's per-column readers equal the SQLite route's two steps ----

_VALUES: list[Any] = [
    None,
    0,
    1,
    -7,
    2**40,
    1.5,
    3.0,
    True,
    False,
    "",
    "text",
    "2024-01-05T10:00:00Z",
    "2024-01-05T10:00:00.123456Z",
    "2024-01-05T10:00:00.000000+00:00",
    "2024-01-05T12:00:00+02:00",
    "2024-01-05 10:00:00",
    "2024-01-05",
    "not a time",
    [],
    [1, "a", None],
    {},
    {"id": 1, "name": "x"},
    {"id": True, "name": "x"},
    {"id": 1.0, "name": "x"},
    {"nested": {"a": [1]}},
    *HOSTILE_VALUES,
]
_KINDS = ["string", "uuid", "integer", "number", "boolean", "datetime", "date", "json"]


def _two_steps(kind: str, value: Any) -> Any:
    """What the SQLite route returns: the storage value, then the cursor's conversion."""
    stored = storage_converter(kind)(value)
    back = from_storage(type_code_for(kind))
    if stored is None or back is None:
        return stored
    try:
        return back(stored)
    except ValueError as exc:
        return exc.__class__


@pytest.mark.parametrize("kind", _KINDS)
def test_readers_equal_the_sqlite_routes_conversion(kind: str) -> None:
    for value in _VALUES:
        expected = _two_steps(kind, value)
        try:
            single = python_converter(kind)(value)
            column = column_converter(kind)([value, value])
        except ValueError as exc:
            assert expected is exc.__class__, (kind, value)
            continue
        for got in (single, *column):
            assert type(got) is type(expected) and got == expected, (kind, value, got)
            if isinstance(got, dt.datetime):
                assert got.tzinfo is dt.timezone.utc


def test_json_memo_keeps_equal_but_differently_typed_objects_apart() -> None:
    cells = ({"a": 1}, {"a": True}, {"a": 1.0}, {"a": 1}, {"a": "1"}, {"a": -0.0}, {"a": 0.0})
    assert list(column_converter("json")(cells)) == [json.dumps(v) for v in cells]


@pytest.mark.parametrize(
    "cells",
    [
        [{"a": 1, "b": "x"}, {"b": "x", "a": 1}],  # equal objects, keys in another order
        [{"a": 1}, {"a": True}, {"a": 1.0}],  # equal objects, numbers of other types
        [{"a": 0.0}, {"a": -0.0}, {"a": 0.0}],  # equal floats, different text
        [{"a": [1]}, {"a": [1]}],  # the same nested object
        [{"a": {"b": 1}}, {"a": {"b": True}}],  # equal nested objects of other types
        [[], [], [1]],
        [[], None, []],
        [{"a": 1}, {"a": 1}, None],
    ],
)
def test_json_column_is_each_cells_own_text(cells: list[Any]) -> None:
    expected = [None if v is None else json.dumps(v) for v in cells]
    assert list(column_converter("json")(cells)) == expected


def test_timestamp_column_with_another_zone_is_converted_to_utc() -> None:
    cells = ["2024-01-05T10:00:00Z", "2024-01-05T12:00:00+02:00", "2024-01-05T10:00:00.5Z"]
    got = list(column_converter("datetime")(cells))
    assert [g.tzinfo for g in got] == [dt.timezone.utc] * 3
    assert got[0] == got[1] and got[2].microsecond == 500000

"""A whole-scan SELECT over one REST table (aggregate, GROUP BY, ORDER BY) runs on a native SQLite
copy of the rows it reads (``dbapi/native.py``): the same description, rows, types, errors and
API requests as on the virtual table (``native_scans`` off), and nothing left behind."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import apsw
import pytest

import posthog_dbapi.dbapi as dbapi
from posthog_dbapi import PostHogDriver
from posthog_dbapi.adapters.rows import storage_column_converter, storage_row_builder
from posthog_dbapi.catalog import RESOURCES
from posthog_dbapi.sql.statements import classify
from tests.hostile_values import HOSTILE_VALUES

from .same_outcome import outcome, same_outcome

REST_TABLES = sorted(
    n for n, r in RESOURCES.items() if r.hogql_table is None and not r.hogql_shared
)


@pytest.fixture
def virtual(emulator: Any) -> Iterator[dbapi.Connection]:
    """A connection whose statements always read the virtual tables."""
    connection = dbapi.connect(emulator.url, emulator.api_key, emulator.project_id, max_retries=0)
    connection.native_scans = False
    yield connection
    connection.close()


def _both_ways(conn: Any, virtual: Any, emulator: Any, sql: str, params: Any = None) -> Any:
    """The native outcome of ``sql``, checked against the virtual table's; and the cursor."""
    native, cursor, other = same_outcome(conn, virtual, emulator, sql, params)
    assert other.native_rows is None
    return native, cursor


def _whole_table(conn: Any, table: str) -> str:
    """Every column of ``table``, ordered by all of them (equal rows are indistinguishable, so
    the order is fully determined)."""
    names = list(conn.get_fields(table))
    order = ", ".join(str(i) for i in range(1, len(names) + 1))
    return f'SELECT * FROM "{table}" ORDER BY {order}'


def test_every_rest_table_reads_the_same_natively(conn: Any, virtual: Any, emulator: Any) -> None:
    native_tables = 0
    for table in REST_TABLES:
        outcome, cursor = _both_ways(conn, virtual, emulator, _whole_table(conn, table))
        if outcome[0] == "ok" and outcome[2]:
            assert cursor.native_rows == len(outcome[2]), table
            native_tables += 1
        # The storage class of every cell, as SQLite sees it.
        names = list(conn.get_fields(table))
        kinds = ", ".join(f'typeof("{n}")' for n in names)
        _both_ways(
            conn, virtual, emulator, f'SELECT {kinds}, count(*) FROM "{table}" GROUP BY {kinds}'
        )
    assert native_tables >= 10


@pytest.mark.parametrize(
    "sql, params",
    [
        ("SELECT count(*) FROM actions", None),
        ("SELECT count(*), max(id), min(name) FROM actions WHERE id > ?", (2,)),
        ("SELECT deleted, count(*) FROM actions GROUP BY deleted ORDER BY 1", None),
        ("SELECT name FROM actions WHERE id = ? ORDER BY name", (1,)),  # one retrieve request
        ("SELECT id FROM actions WHERE name = ? ORDER BY id", ("no such name",)),
        ("SELECT substr(created_at, 1, 7) AS m, count(*) FROM actions GROUP BY m", None),
        ("SELECT a.name, row_number() OVER (ORDER BY a.id) FROM actions AS a", None),
        ("SELECT json_extract(steps, '$[0]') IS NULL, total(id) FROM actions GROUP BY 1", None),
        ("SELECT key, count(*) FROM feature_flags WHERE key = ? GROUP BY key", ("x",)),
        ("SELECT * FROM main.actions ORDER BY id DESC", None),
        ("SELECT count(*) FROM actions WHERE 0", None),
        ("SELECT count(*) FROM actions WHERE id IN (1, 2, 3)", None),
        ("SELECT nosuchcolumn, count(*) FROM actions", None),  # SQLite's error, both ways
        ("SELECT sum(json_extract(name, '$[')) FROM actions", None),  # an error as rows are read
    ],
)
def test_statements_read_the_same_natively(
    conn: Any, virtual: Any, emulator: Any, sql: str, params: Any
) -> None:
    _both_ways(conn, virtual, emulator, sql, params)


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_hostile_parameters_read_the_same_natively(
    conn: Any, virtual: Any, emulator: Any, value: str
) -> None:
    outcome, cursor = _both_ways(
        conn, virtual, emulator, "SELECT ?, count(*) FROM actions WHERE name <> ?", (value, value)
    )
    assert outcome[0] == "ok" and cursor.native_rows is not None


# --- values of every kind, as the API might send them ---------------------------------------

_VALUES: list[Any] = [
    None, 0, 1, -7, 2**40, 1.5, 3.0, -0.0, True, False, "", "text", "12", " 3.5e2 ", "1_0",
    "2024-01-05T10:00:00Z", "2024-01-05T10:00:00.123456Z", "2024-01-05T10:00:00.000000Z",
    "2024-01-05T10:00:00.000000+00:00", "2024-01-05T12:00:00+02:00", "2024-01-05 10:00:00",
    "2024-01-05", "２０２４-01-05T10:00:00Z", "not a time", [], [1, "a", None], {}, {"id": 1},
    {"id": 1.0}, {"nested": {"a": [1]}}, *HOSTILE_VALUES,
]  # fmt: skip


class _Substituted:
    """The real driver, whose scans of one table hand out copies of a real record with every
    column but the key set to one value of ``values`` (cycled)."""

    def __init__(self, driver: PostHogDriver, table: str, values: list[Any]) -> None:
        self._driver = driver
        self._table = table
        self._values = values

    def __getattr__(self, name: str) -> Any:
        return getattr(self._driver, name)

    def iter_records(self, name: str, *args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        records = list(self._driver.iter_records(name, *args, **kwargs))
        if name != self._table or not records:
            yield from records
            return
        for i, value in enumerate(self._values * 3):
            record = copy.deepcopy(records[i % len(records)])
            for column in record:
                if column != "id":
                    record[column] = value
            record["id"] = i + 1
            yield record


@pytest.mark.parametrize("values", [_VALUES, [v for v in _VALUES if isinstance(v, str)]])
def test_values_of_every_kind_read_the_same_natively(emulator: Any, values: list[Any]) -> None:
    outcomes = []
    ran_natively: list[bool] = []
    for native in (True, False):
        driver = PostHogDriver(
            api_url=emulator.url, api_key=emulator.api_key, project_id=emulator.project_id
        )
        connection = dbapi.connect(driver=_Substituted(driver, "actions", values))
        connection.native_scans = native
        try:
            cursor = connection.cursor()
            names = list(connection.get_fields("actions"))
            got = [outcome(cursor, _whole_table(connection, "actions"))]
            for name in names:
                # Each cell's storage value exactly, as SQLite's literal of it.
                sql = f'SELECT quote("{name}"), typeof("{name}"), count(*) FROM actions'
                got.append(outcome(cursor, sql + " GROUP BY 1, 2 ORDER BY 1, 2"))
                ran_natively.append(cursor.native_rows is not None)
            outcomes.append(got)
        finally:
            connection.close()
            driver.close()
    assert outcomes[0] == outcomes[1]
    assert all(o[0] == "ok" for o in outcomes[0][1:])
    # Columns of text ran natively; a column whose affinity would change a value did not.
    assert any(ran_natively) and not all(ran_natively)
    assert sum(row[2] for row in outcomes[0][1][2]) == len(values) * 3


@pytest.mark.parametrize("kind", ["string", "uuid", "integer", "number", "boolean", "datetime",
                                  "date", "json"])  # fmt: skip
def test_column_conversion_equals_the_virtual_tables_cells(kind: str) -> None:
    build = storage_row_builder(["c"], [kind], {"c"})
    zulu = ["2024-01-05T10:00:00Z", "2024-01-05T10:00:00.123456Z"] * 3  # converted in bulk
    for cells in (_VALUES, [v for v in _VALUES if isinstance(v, str)], zulu):
        expected = [build({"c": v})[0] for v in cells]
        got = list(storage_column_converter(kind)(list(cells)))
        assert [(type(g), g) for g in got] == [(type(e), e) for e in expected], kind


# --- nothing is left behind --------------------------------------------------------------


def _schema(connection: Any) -> list[Any]:
    return list(connection._db.execute("SELECT type, name FROM sqlite_temp_master")) + list(
        connection._db.execute("SELECT type, name FROM sqlite_master")
    )


def _closed(db: apsw.Connection) -> bool:
    try:
        db.execute("SELECT 1")
    except apsw.ConnectionClosedError:
        return True
    return False


GROUP = "SELECT name, count(*) FROM actions GROUP BY name ORDER BY name"


def test_the_private_database_is_closed_on_every_exit(conn: Any) -> None:
    cursor = conn.cursor()
    cursor.execute("SELECT count(*) FROM actions")  # the virtual table exists from here on
    cursor.fetchall()
    before = _schema(conn)

    # Read to the end.
    cursor.execute(GROUP)
    db = cursor._native.db
    assert cursor.native_rows is not None and not _closed(db)
    rows = cursor.fetchall()
    assert rows and _closed(db) and cursor._native is None

    # A statement failing as its rows are read.
    with pytest.raises(dbapi.Error, match="malformed JSON"):
        cursor.execute("SELECT sum(json_extract(name, '$[')) FROM actions")
    assert cursor._native is None and cursor.native_rows is None
    assert _schema(conn) == before

    # Read in part, then the next statement; in part, then closed; in part, then the
    # connection closed.
    for end in ("execute", "cursor", "connection"):
        cursor = conn.cursor()
        cursor.execute(GROUP)
        db = cursor._native.db
        cursor.fetchone()
        if end == "execute":
            cursor.execute("SELECT 1")
        elif end == "cursor":
            cursor.close()
        else:
            assert _schema(conn) == before
            conn.close()
        assert _closed(db), end


def test_the_private_database_is_under_the_connections_sandbox(conn: Any) -> None:
    cursor = conn.cursor()
    cursor.execute(GROUP)
    with pytest.raises(apsw.AuthError):
        cursor._native.db.execute("ATTACH DATABASE ':memory:' AS other")
    conn.interrupt()  # the connection's stop() reaches the statement on the private database
    count = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) "
        "SELECT count(*) FROM n"
    )
    with pytest.raises(apsw.InterruptError):
        cursor._native.db.execute(count).fetchall()


@pytest.mark.parametrize(
    "sql, whole",
    [
        ("SELECT count(*) FROM actions", True),
        ("SELECT name FROM actions ORDER BY name", True),
        ("SELECT name, total(id) FROM actions GROUP BY name", True),
        ("SELECT name, row_number() OVER () FROM actions", True),
        ("SELECT * FROM actions", False),  # streams: a page is fetched when its rows are read
        ("SELECT name FROM actions WHERE id > 3 LIMIT 2", False),
        ("SELECT DISTINCT name FROM actions", False),
        ("SELECT rowid, count(*) FROM actions", False),  # the connection's own rowids
        ("SELECT changes(), count(*) FROM actions", False),
        ("SELECT count(*) FROM actions JOIN cohorts ON 1", False),
        ("SELECT count(*) FROM actions WHERE id = 1 OR id = 2", False),
    ],
)
def test_which_statements_read_their_table_whole(sql: str, whole: bool) -> None:
    assert classify(sql).whole_scan is whole


def test_a_hogql_table_is_not_probed(emulator: Any) -> None:
    connection = dbapi.connect(
        emulator.url, emulator.api_key, emulator.project_id, pushdown="off", max_queries=0
    )
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT count(*) FROM events WHERE event = ?", ("no such event",))
        assert cursor.fetchall() == [(0,)]
        assert cursor.route == "sqlite" and cursor.native_rows is None
        assert len(cursor.queries) == 1  # the scan's one Query API request, nothing more
    finally:
        connection.close()

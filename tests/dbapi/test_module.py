"""The PEP 249 module surface, connection life cycle, secrets and exit behaviour."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from typing import Any

import pytest

import posthog_dbapi
import posthog_dbapi.dbapi as dbapi

PEP249_NAMES = [
    "apilevel",
    "threadsafety",
    "paramstyle",
    "connect",
    "Warning",
    "Error",
    "InterfaceError",
    "DatabaseError",
    "DataError",
    "OperationalError",
    "IntegrityError",
    "InternalError",
    "ProgrammingError",
    "NotSupportedError",
    "Date",
    "Time",
    "Timestamp",
    "DateFromTicks",
    "TimeFromTicks",
    "TimestampFromTicks",
    "Binary",
    "STRING",
    "BINARY",
    "NUMBER",
    "DATETIME",
    "ROWID",
]


def test_module_exports_every_pep249_name() -> None:
    for name in PEP249_NAMES:
        assert name in dbapi.__all__, name
        assert hasattr(dbapi, name), name
    assert set(dbapi.__all__) <= set(dir(dbapi))
    assert dbapi.apilevel == "2.0"
    assert dbapi.threadsafety in (0, 1, 2, 3)
    assert dbapi.paramstyle == "qmark"


def test_exception_hierarchy_is_pep249() -> None:
    assert issubclass(dbapi.Error, Exception)
    assert issubclass(dbapi.Warning, Exception)
    for name in ("InterfaceError", "DatabaseError"):
        assert issubclass(getattr(dbapi, name), dbapi.Error)
    for name in ("DataError", "OperationalError", "IntegrityError", "InternalError"):
        assert issubclass(getattr(dbapi, name), dbapi.DatabaseError)
    assert issubclass(posthog_dbapi.RateLimitError, dbapi.OperationalError)


def test_constructors_build_python_values() -> None:
    assert dbapi.Date(2024, 5, 1) == dt.date(2024, 5, 1)
    assert dbapi.Time(1, 2, 3) == dt.time(1, 2, 3)
    assert dbapi.Timestamp(2024, 5, 1, 1, 2, 3).year == 2024
    assert dbapi.DateFromTicks(0) == dt.date(1970, 1, 1)
    assert dbapi.TimestampFromTicks(0).year == 1970
    assert dbapi.TimeFromTicks(0) == dt.time(0, 0)
    assert dbapi.Binary(b"ab") == b"ab"


def test_description_type_codes_compare_equal_to_type_objects(conn: Any) -> None:
    cur = conn.cursor()
    cur.execute("SELECT id, name, pinned, created_at, tags, count(*) AS n FROM dashboards")
    codes = {d[0]: d[1] for d in cur.description}
    assert all(len(d) == 7 for d in cur.description)
    assert codes["id"] == dbapi.NUMBER
    assert codes["name"] == dbapi.STRING
    assert codes["pinned"] == dbapi.NUMBER
    assert codes["created_at"] == dbapi.DATETIME
    assert codes["tags"] == dbapi.STRING
    assert codes["n"] == dbapi.NUMBER
    assert codes["name"] != dbapi.NUMBER


def test_connect_reads_the_environment(posthog_env: Any, raw: Any) -> None:
    with dbapi.connect() as connection:
        row = connection.cursor().execute("SELECT count(*) FROM dashboards").fetchone()
    assert row is not None
    assert row[0] == len(raw("dashboards")) > 0


def test_close_is_idempotent_and_use_after_close_raises(conn: Any) -> None:
    cur = conn.cursor()
    cur.execute("SELECT id FROM dashboards LIMIT 1")
    conn.close()
    conn.close()
    with pytest.raises(dbapi.InterfaceError):
        conn.cursor()
    with pytest.raises(dbapi.InterfaceError):
        cur.execute("SELECT 1")
    with pytest.raises(dbapi.InterfaceError):
        cur.fetchone()
    with pytest.raises(dbapi.InterfaceError):
        conn.commit()


def test_close_closes_the_http_session(conn: Any) -> None:
    driver = conn.driver
    conn.close()
    with pytest.raises(dbapi.InterfaceError):
        driver.retrieve("dashboards", 1)


def test_commit_is_a_no_op_and_rollback_is_not_supported(conn: Any) -> None:
    conn.commit()
    with pytest.raises(dbapi.NotSupportedError):
        conn.rollback()


def test_cursor_is_a_context_manager_and_iterates(conn: Any) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM dashboards ORDER BY id")
        ids = [row[0] for row in cur]
    assert ids == sorted(ids)
    with pytest.raises(dbapi.InterfaceError):
        cur.fetchall()


def test_fetchmany_uses_arraysize(conn: Any, raw: Any) -> None:
    count = len(raw("dashboards"))
    cur = conn.cursor()
    cur.arraysize = 2
    cur.execute("SELECT id FROM dashboards ORDER BY id")
    assert len(cur.fetchmany()) == min(2, count)
    assert len(cur.fetchmany(100_000)) == max(0, count - 2)
    assert cur.fetchone() is None
    cur.setinputsizes([None])
    cur.setoutputsize(10)


def test_api_key_never_lands_in_sqlite_master(conn: Any, emulator: Any) -> None:
    cur = conn.cursor()
    for table in ("dashboards", "feature_flags", "persons", "insights"):
        # WHERE 1 keeps the statement on the SQLite route, which creates the virtual table.
        cur.execute(f"SELECT * FROM {table} WHERE 1 LIMIT 1").fetchall()
    cur.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")
    rows = cur.fetchall()
    assert len(rows) >= 4
    for row in rows:
        for value in row:
            assert emulator.api_key not in str(value)
    assert emulator.api_key not in repr(conn.driver)


def test_process_exiting_without_close_exits_cleanly(emulator: Any) -> None:
    script = textwrap.dedent(
        f"""
        import posthog_dbapi.dbapi as dbapi
        conn = dbapi.connect({emulator.url!r}, {emulator.api_key!r}, {emulator.project_id!r})
        cur = conn.cursor()
        cur.execute("SELECT d.id, f.id FROM dashboards d JOIN feature_flags f LIMIT 3")
        print(len(cur.fetchall()))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() in {"0", "1", "2", "3"}


@pytest.mark.parametrize("bad", [5, "abc", {"a": 1}, None])
def test_executemany_needs_a_sequence_of_parameter_sets(conn: Any, bad: Any) -> None:
    cursor = conn.cursor()
    with pytest.raises(dbapi.ProgrammingError, match="sequence of parameter sets"):
        cursor.executemany("INSERT INTO dashboards (name) VALUES (?)", bad)
    cursor.execute("SELECT 1")  # the cursor still works
    assert cursor.fetchone() == (1,)

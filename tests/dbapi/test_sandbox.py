"""Hostile SQL on the local engine: no file access, no schema changes, bounded time and memory.

Each refusal is checked as a user sees it (the PEP 249 class, a message naming what was refused)
and by its effect: no file appears, the PostHog tables still answer as the API does, and the
connection keeps working.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import apsw
import pytest

import posthog_dbapi
import posthog_dbapi.dbapi as dbapi
from posthog_dbapi.dbapi import sandbox
from posthog_emulator import EmulatorServer

RUNAWAY = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
SHORT = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 10000) "
    "SELECT count(*) FROM c"
)


def _flag_count(conn: dbapi.Connection) -> int:
    return int(conn.cursor().execute("SELECT count(*) FROM feature_flags").fetchone()[0])


@pytest.fixture
def files(tmp_path: Path) -> Iterator[Path]:
    """A directory for the files an attack would create, checked empty afterwards."""
    yield tmp_path
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("template", "refused"),
    [
        ("ATTACH DATABASE '{path}' AS pwn", "ATTACH"),
        ("VACUUM INTO '{path}'", "VACUUM INTO"),
        ("ATTACH DATABASE 'file:{path}?mode=rwc' AS pwn", "ATTACH"),
    ],
)
def test_no_statement_creates_a_file(
    conn: dbapi.Connection, files: Path, template: str, refused: str
) -> None:
    path = files / "pwn.db"
    cursor = conn.cursor()
    with pytest.raises(dbapi.NotSupportedError, match=refused) as error:
        cursor.execute(template.format(path=path))
    assert "reads the PostHog tables" in (error.value.suggestion or "")
    assert not path.exists()
    # The classic follow-up lands nowhere either.
    with pytest.raises(dbapi.Error):
        cursor.execute("CREATE TABLE pwn.t(x)")
    assert cursor.execute("SELECT 1").fetchone() == (1,)


def test_an_existing_file_cannot_be_read(conn: dbapi.Connection, tmp_path: Path) -> None:
    import sqlite3

    secret = tmp_path / "secret.db"
    with sqlite3.connect(secret) as other:
        other.execute("CREATE TABLE s(x)")
        other.execute("INSERT INTO s VALUES ('hidden')")
    other.close()
    with pytest.raises(dbapi.NotSupportedError, match="ATTACH"):
        conn.cursor().execute(f"ATTACH '{secret}' AS s")
    with pytest.raises(dbapi.ProgrammingError, match=r"No table s\.s"):
        conn.cursor().execute("SELECT x FROM s.s")


@pytest.mark.parametrize(
    ("sql", "refused"),
    [
        ("DROP TABLE feature_flags", "DROP TABLE feature_flags"),
        ("ALTER TABLE feature_flags RENAME TO gone", "ALTER TABLE feature_flags"),
        ("ALTER TABLE feature_flags ADD COLUMN x", "[Vv]irtual tables may not be altered"),
        ("CREATE TABLE t(x)", "CREATE TABLE t"),
        ("CREATE VIEW v AS SELECT 1", "CREATE VIEW v"),
        ("CREATE INDEX i ON feature_flags(key)", "[Vv]irtual tables may not be indexed"),
        (
            "CREATE TEMP TRIGGER tr AFTER INSERT ON feature_flags BEGIN SELECT 1; END",
            "[Cc]annot create triggers on virtual tables",
        ),
        ("CREATE VIRTUAL TABLE f USING fts5(x)", "CREATE VIRTUAL TABLE f"),
        ("CREATE TEMP TABLE feature_flags(x)", "hide the PostHog table feature_flags"),
        ("CREATE TEMP VIEW dashboards AS SELECT 1", "hide the PostHog table dashboards"),
        ("PRAGMA writable_schema = ON", "PRAGMA writable_schema = ON"),
        ("PRAGMA temp_store = FILE", "PRAGMA temp_store"),
        ("PRAGMA journal_mode = WAL", "PRAGMA journal_mode"),
        ("DETACH DATABASE temp", "DETACH"),
        ("ANALYZE", "ANALYZE"),
        ("SELECT load_extension('/tmp/x')", "load_extension"),
        ("DELETE FROM sqlite_master", "sqlite_master may not be modified"),
        ("INSERT INTO temp.sqlite_master VALUES (1, 2, 3, 4, 5)", "may not be modified"),
    ],
)
def test_schema_changes_and_settings_are_refused(
    conn: dbapi.Connection, raw: Any, sql: str, refused: str
) -> None:
    before = _flag_count(conn)
    with pytest.raises(dbapi.NotSupportedError, match=refused.replace("(", r"\(")) as error:
        conn.cursor().execute(sql)
    assert error.value.details["refused"]
    assert _flag_count(conn) == before == len(raw("feature_flags"))


def test_the_connections_own_table_definition_cannot_be_replayed(conn: dbapi.Connection) -> None:
    cursor = conn.cursor()
    cursor.execute("SELECT count(*) FROM dashboards").fetchall()
    (definition,) = cursor.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'dashboards'"
    ).fetchone()
    with pytest.raises(dbapi.NotSupportedError, match="CREATE VIRTUAL TABLE"):
        cursor.execute(definition.replace('"dashboards"', '"copy"', 1))


def test_read_only_pragmas_and_temporary_objects_work(conn: dbapi.Connection, raw: Any) -> None:
    cursor = conn.cursor()
    dashboards = raw("dashboards")
    cursor.execute("SELECT count(*) FROM dashboards").fetchall()
    columns = [row[1] for row in cursor.execute("PRAGMA table_info(dashboards)").fetchall()]
    assert "name" in columns
    assert cursor.execute(
        "SELECT count(*) FROM pragma_table_info('dashboards') WHERE name = 'id'"
    ).fetchone() == (1,)

    cursor.execute("CREATE TEMP TABLE mine AS SELECT id, name FROM dashboards")
    cursor.execute("INSERT INTO mine VALUES (-1, 'local only')")
    cursor.execute("CREATE TEMP VIEW mine_named AS SELECT name FROM mine WHERE id > 0")
    cursor.execute("CREATE INDEX temp.mine_id ON mine(id)")
    assert cursor.execute("SELECT count(*) FROM mine_named").fetchone() == (len(dashboards),)
    assert cursor.execute("SELECT name FROM mine WHERE id = -1").fetchone() == ("local only",)
    cursor.execute("DROP VIEW mine_named")
    cursor.execute("DROP TABLE mine")
    with pytest.raises(dbapi.ProgrammingError, match="No table mine"):
        cursor.execute("SELECT * FROM mine")
    assert len(raw("dashboards")) == len(dashboards)  # nothing reached PostHog


def test_statement_timeout_stops_local_evaluation(emulator: EmulatorServer) -> None:
    with posthog_dbapi.connect(
        emulator.url, emulator.api_key, emulator.project_id, statement_timeout=0.3
    ) as conn:
        cursor = conn.cursor()
        started = time.monotonic()
        with pytest.raises(dbapi.OperationalError, match=r"statement_timeout \(0.3s\)") as error:
            cursor.execute(RUNAWAY)
        assert time.monotonic() - started < 5
        assert error.value.details["statement_timeout"] == 0.3
        assert "SET statement_timeout" in (error.value.suggestion or "")
        # The next statement gets its own time (local work: a REST read on a loaded machine
        # could take the 0.3 s by itself).
        assert cursor.execute(SHORT).fetchone() == (10000,)


def test_statement_timeout_counts_fetches_not_the_time_between(emulator: EmulatorServer) -> None:
    with posthog_dbapi.connect(
        emulator.url, emulator.api_key, emulator.project_id, statement_timeout=0.5
    ) as conn:
        cursor = conn.cursor()
        cursor.execute(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c"
        )
        assert cursor.fetchmany(3) == [(1,), (2,), (3,)]
        time.sleep(0.6)  # the caller's own time: not the statement's
        assert cursor.fetchone() == (4,)
        with pytest.raises(dbapi.OperationalError, match="statement_timeout"):
            cursor.fetchall()  # endless: stopped at the timeout


def test_statement_timeout_is_a_connection_attribute(conn: dbapi.Connection) -> None:
    assert conn.statement_timeout == sandbox.DEFAULT_STATEMENT_TIMEOUT
    conn.statement_timeout = 0.2
    with pytest.raises(dbapi.OperationalError, match="statement_timeout"):
        conn.cursor().execute(RUNAWAY)
    conn.statement_timeout = 0
    assert conn.statement_timeout is None


@pytest.mark.parametrize("value", [-1, "soon", float("inf"), float("nan"), True])
def test_a_bad_statement_timeout_is_refused_before_any_request(
    emulator: EmulatorServer, value: Any
) -> None:
    with pytest.raises(dbapi.InterfaceError, match="statement_timeout must be"):
        posthog_dbapi.connect(emulator.url, emulator.api_key, 1, statement_timeout=value)


def test_interrupt_stops_a_running_statement_from_another_thread(
    conn: dbapi.Connection,
) -> None:
    conn.statement_timeout = None
    timer = threading.Timer(0.3, conn.interrupt)
    timer.start()
    started = time.monotonic()
    with pytest.raises(dbapi.OperationalError, match="cancelled"):
        conn.cursor().execute(RUNAWAY)
    assert time.monotonic() - started < 5
    assert conn.cursor().execute("SELECT 1").fetchone() == (1,)


def test_statement_timeout_cancels_its_query_api_query(emulator: EmulatorServer) -> None:
    # query_timeout makes the query async, so it is polled and can be seen still running.
    with posthog_dbapi.connect(
        emulator.url, emulator.api_key, emulator.project_id, query_timeout=60, rate_budget=False
    ) as conn:
        cursor = conn.cursor()
        # Warmed up without the timeout (key check, schema), so on a loaded machine the 0.3 s
        # cannot run out before the held query is sent: then there would be nothing to cancel.
        cursor.execute("SELECT count(*) FROM events").fetchone()
        emulator.app.request_log.clear()
        conn.statement_timeout = 0.3
        emulator.app.queries.hold()
        try:
            with pytest.raises(dbapi.OperationalError, match="statement_timeout"):
                cursor.execute("SELECT event, count(*) FROM events GROUP BY event")
            assert cursor.route is None
            deletes = [r.path for r in emulator.app.request_log if r.method == "DELETE"]
            assert len(deletes) == 1 and "/query/" in deletes[0]
        finally:
            emulator.app.queries.release()


def test_a_query_api_request_after_the_deadline_is_refused_at_once() -> None:
    # The watchdog is joined by a call's first Query API request; a request asked for once the
    # deadline has passed is refused there, without waiting for the watchdog's next look.
    cancelled: list[str] = []
    guard = sandbox.Sandbox(apsw.Connection(":memory:"), lambda name: False, cancelled.append)
    start = guard.begin(0.0, 0.5)
    with pytest.raises(dbapi.OperationalError, match=r"statement_timeout \(0.5s\)"):
        guard.query_started("q-late")
    assert guard.end(start, 0.0) is not None
    # A call with time left records its request, to be cancelled if the statement is stopped.
    start = guard.begin(60.0, 60.0)
    guard.query_started("q-1")
    guard.stop()
    deadline = time.monotonic() + 10
    while not cancelled and time.monotonic() < deadline:
        time.sleep(0.01)
    guard.end(start, 60.0)
    assert cancelled == ["q-1"]


@pytest.fixture
def small_heap() -> Iterator[int]:
    before = sandbox.heap_limit()
    sandbox.set_heap_limit(64 << 20)
    yield 64 << 20
    sandbox.set_heap_limit(before)


def test_the_heap_limit_gives_a_clear_error(conn: dbapi.Connection, small_heap: int) -> None:
    cursor = conn.cursor()
    with pytest.raises(dbapi.OperationalError, match=r"more memory .*\(64 MiB") as error:
        cursor.execute("SELECT length(randomblob(200000000))")
    assert error.value.details["heap_limit"] == small_heap
    assert "set_heap_limit" in (error.value.suggestion or "")
    assert cursor.execute("SELECT count(*) FROM dashboards").fetchone()[0] > 0


def test_temporary_storage_stays_in_memory(conn: dbapi.Connection) -> None:
    # Temporary tables and large sorts would otherwise go to files in the temporary directory.
    assert conn.cursor().execute("PRAGMA temp_store").fetchall() == [(2,)]  # 2: MEMORY


def test_statement_timeout_cancels_the_query_of_a_local_evaluation(
    emulator: EmulatorServer,
) -> None:
    # pushdown="off": SQLite evaluates, the events table fetches through the Query API, and
    # that request is held past the timeout (a request waiting on HTTP runs no SQLite code).
    with posthog_dbapi.connect(
        emulator.url,
        emulator.api_key,
        emulator.project_id,
        pushdown="off",
        rate_budget=False,
    ) as conn:
        # A first statement on events without the timeout: the key check, the schema and the
        # virtual table are then in place, so on a loaded machine the timeout cannot run out
        # before the held POST is sent (it once did, in CI, with nothing to cancel).
        conn.cursor().execute("SELECT count(*) FROM events").fetchone()
        emulator.app.request_log.clear()
        emulator.app.faults.add("delay", path=r"/query/$", method="POST", delay=2.0, times=1)
        conn.statement_timeout = 0.5
        started = time.monotonic()
        with pytest.raises(dbapi.OperationalError, match="statement_timeout"):
            conn.cursor().execute("SELECT count(*) FROM events")
        # Generous: the held page is still decoded once it arrives (slow on a loaded machine).
        assert time.monotonic() - started < 30
        # The held POST enters the request log when its answer leaves, maybe after the error.
        deadline = time.monotonic() + 30
        while {"POST", "DELETE"} - {r.method for r in emulator.app.request_log}:
            log = [(r.method, r.path) for r in emulator.app.request_log]
            assert time.monotonic() < deadline, f"no held POST and DELETE logged: {log}"
            time.sleep(0.02)
        posts = [r for r in emulator.app.request_log if r.method == "POST"]
        deletes = [r.path for r in emulator.app.request_log if r.method == "DELETE"]
        assert emulator.app.faults.counts() == {"delay": 1}
        assert len(posts) == 1  # no further page was asked for
        assert len(deletes) == 1 and deletes[0].startswith("/api/projects/1/query/")

"""psycopg 3 against the wire server: both query protocols, parameters, server-side cursors,
errors with SQLSTATEs, logins, writes, concurrent clients and cancel requests."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import threading
import uuid
from pathlib import Path

import psycopg
import pytest

from posthog_dbapi.dbapi import Connection
from posthog_dbapi.pgwire import PgServer, ServerConfig
from posthog_emulator import EmulatorServer

from .conftest import PASSWORD, Wire


def test_simple_and_extended_protocol_match_the_dbapi(wire: Wire, dbapi: Connection) -> None:
    cur = dbapi.cursor()
    cur.execute("SELECT id, key, active FROM feature_flags WHERE active = ? ORDER BY id", (True,))
    expected = cur.fetchall()
    with psycopg.connect(wire.conninfo(), autocommit=True) as conn:
        # prepare=False with no parameters: the simple query protocol
        simple = conn.execute(
            "SELECT id, key, active FROM feature_flags WHERE active = true ORDER BY id"
        ).fetchall()
        extended = conn.execute(
            "SELECT id, key, active FROM feature_flags WHERE active = %s ORDER BY id", (True,)
        ).fetchall()
        prepared = conn.execute(
            "SELECT id, key, active FROM feature_flags WHERE active = %s ORDER BY id",
            (True,),
            prepare=True,
        ).fetchall()
    assert expected
    assert simple == extended == prepared == [tuple(row) for row in expected]


def test_result_types_are_postgres_types(wire: Wire) -> None:
    with psycopg.connect(wire.conninfo(), autocommit=True) as conn:
        row = conn.execute(
            "SELECT uuid, timestamp, properties, event FROM events ORDER BY timestamp LIMIT 1"
        ).fetchone()
    assert row is not None
    assert isinstance(row[0], uuid.UUID)
    assert isinstance(row[1], dt.datetime) and row[1].tzinfo is not None
    assert isinstance(row[2], dict)
    assert isinstance(row[3], str)


def test_parameters_of_several_types(wire: Wire, dbapi: Connection) -> None:
    since = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    cur = dbapi.cursor()
    cur.execute(
        "SELECT count(*) FROM events WHERE event = ? AND timestamp >= ?", ("$pageview", since)
    )
    expected = cur.fetchone()
    with psycopg.connect(wire.conninfo(), autocommit=True) as conn:
        got = conn.execute(
            "SELECT count(*) FROM events WHERE event = %s AND timestamp >= %s",
            ("$pageview", since),
        ).fetchone()
        repeated = conn.execute(
            "SELECT %(e)s AS a, count(*) FROM events WHERE event = %(e)s", {"e": "$pageview"}
        ).fetchone()
    assert expected is not None and got == tuple(expected)
    assert repeated == ("$pageview", expected[0])


def test_server_side_cursor_streams_in_batches(wire: Wire, dbapi: Connection) -> None:
    cur = dbapi.cursor()
    cur.execute("SELECT uuid FROM events ORDER BY timestamp, uuid LIMIT 230")
    expected = [uuid.UUID(row[0]) for row in cur.fetchall()]
    with psycopg.connect(wire.conninfo()) as conn:
        with conn.cursor(name="scan") as scan:
            scan.itersize = 40
            scan.execute("SELECT uuid FROM events ORDER BY timestamp, uuid LIMIT %s", (230,))
            first = scan.fetchmany(15)
            rest = scan.fetchall()
        conn.commit()
    assert [row[0] for row in first + rest] == expected


def test_date_trunc_time_series_matches_dbapi(wire: Wire, dbapi: Connection) -> None:
    cur = dbapi.cursor()
    cur.execute(
        "SELECT DATETIME(timestamp, 'start of month') AS m, count(*) FROM events "
        "GROUP BY 1 ORDER BY 1"
    )
    expected = [(dt.datetime.fromisoformat(m), n) for m, n in cur.fetchall()]
    with psycopg.connect(wire.conninfo(), autocommit=True) as conn:
        got = conn.execute(
            "SELECT date_trunc('month', timestamp) AS m, count(*) FROM events GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert expected and got == expected


def test_errors_carry_sqlstates_and_hints(wire: Wire) -> None:
    with psycopg.connect(wire.conninfo(), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.UndefinedTable) as missing:
            conn.execute("SELECT * FROM feature_flagz")
        assert "feature_flags" in (missing.value.diag.message_hint or "")
        with pytest.raises(psycopg.errors.SyntaxError):
            conn.execute("SELEC 1")
        with pytest.raises(psycopg.errors.FeatureNotSupported):
            conn.execute("CREATE TABLE t (x int)")
        # the connection stays usable after errors
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_writes_go_to_posthog(wire: Wire, dbapi: Connection) -> None:
    with psycopg.connect(wire.conninfo(), autocommit=True) as conn:
        cur = conn.execute(
            "INSERT INTO feature_flags (key, name) VALUES (%s, %s)", ("wire-flag", "Wire")
        )
        assert cur.rowcount == 1
        cur = conn.execute("UPDATE feature_flags SET active = false WHERE key = %s", ("wire-flag",))
        assert cur.rowcount == 1
    check = dbapi.cursor()
    check.execute("SELECT name, active FROM feature_flags WHERE key = ?", ("wire-flag",))
    assert check.fetchall() == [("Wire", False)]


def test_rollback_after_a_write_warns_that_it_was_applied(wire: Wire) -> None:
    notices: list[str] = []
    with psycopg.connect(wire.conninfo()) as conn:
        conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
        conn.execute("INSERT INTO feature_flags (key, name) VALUES ('tx-flag', 'Tx')")
        conn.rollback()
        assert conn.execute(
            "SELECT count(*) FROM feature_flags WHERE key = 'tx-flag'"
        ).fetchone() == (1,)
    assert any("already applied" in n for n in notices)


def test_settings_and_catalog_functions(wire: Wire) -> None:
    with psycopg.connect(wire.conninfo(), autocommit=True) as conn:
        conn.execute("SET extra_float_digits = 3")
        conn.execute("SET application_name = 'wire-test'")
        assert conn.execute("SHOW application_name").fetchone() == ("wire-test",)
        assert conn.execute("SHOW timezone").fetchone() == ("UTC",)
        row = conn.execute(
            "SELECT current_schema(), current_database(), "
            "has_table_privilege('public.events', 'insert'), "
            "has_table_privilege('public.feature_flags', 'insert')"
        ).fetchone()
    assert row == ("public", wire.database, False, True)


def test_fixed_key_logins_with_the_servers_password(fixed_wire: Wire, dbapi: Connection) -> None:
    with psycopg.connect(fixed_wire.conninfo(password=PASSWORD), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM feature_flags").fetchone() is not None
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(fixed_wire.conninfo(password="wrong"))
    # the server's password is not an API key: PostHog's key is not accepted in its place
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(fixed_wire.conninfo(password=fixed_wire.key))


def test_a_wrong_api_key_is_refused_at_login(wire: Wire) -> None:
    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect(wire.conninfo(password="phx_not_a_key"))
    assert "phx_not_a_key" not in str(refused.value)


def test_ssl_request_without_certificate_is_declined(wire: Wire) -> None:
    with pytest.raises(psycopg.OperationalError, match="SSL"):
        psycopg.connect(wire.conninfo(sslmode="require"))
    with psycopg.connect(wire.conninfo(sslmode="prefer"), autocommit=True) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_several_clients_at_once(wire: Wire, dbapi: Connection) -> None:
    cur = dbapi.cursor()
    cur.execute("SELECT count(*) FROM feature_flags")
    expected = cur.fetchone()
    results: list[object] = []

    def client() -> None:
        try:
            with psycopg.connect(wire.conninfo(), autocommit=True) as conn:
                for _ in range(3):
                    results.append(conn.execute("SELECT count(*) FROM feature_flags").fetchone())
        except Exception as exc:  # reported below
            results.append(exc)

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert expected is not None
    assert results == [tuple(expected)] * 12


def test_cancel_stops_the_running_statement(wire: Wire) -> None:
    # Every Query API call waits, so the statement is still running when the cancel arrives.
    wire.emulator.app.faults.add("delay", path=r"/query/", delay=1.0, times=5)
    with psycopg.connect(wire.conninfo(), autocommit=True) as conn:
        errors: list[BaseException] = []

        def run() -> None:
            try:
                conn.execute("SELECT uuid FROM events").fetchall()
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        while wire.server.running_statements() == 0:
            thread.join(0.01)
        conn.cancel_safe()
        thread.join(60)
        assert len(errors) == 1 and isinstance(errors[0], psycopg.errors.QueryCanceled)
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_metabase_time_series_runs_inside_posthog(wire: Wire) -> None:
    with psycopg.connect(wire.conninfo(), autocommit=True) as conn:
        conn.execute("SELECT 1")  # login and catalog requests are done before counting
        wire.emulator.app.request_log.clear()
        rows = conn.execute(
            'SELECT date_trunc(\'day\', "public"."events"."timestamp") AS "timestamp", '
            'count(*) AS "count" FROM "public"."events" '
            'WHERE "public"."events"."event" = \'$pageview\' '
            'GROUP BY date_trunc(\'day\', "public"."events"."timestamp") '
            'ORDER BY date_trunc(\'day\', "public"."events"."timestamp") ASC'
        ).fetchall()
    assert rows
    # one Query API request for the whole aggregate: the DB-API pushed it down as HogQL
    assert [r.path for r in wire.emulator.app.request_log] == ["/api/projects/1/query/"]


def test_tls_when_given_a_certificate(emulator: EmulatorServer, tmp_path: Path) -> None:
    openssl = shutil.which("openssl")
    assert openssl is not None, "openssl is needed to make a test certificate"
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    server = PgServer(
        ServerConfig(api_url=emulator.url, certfile=str(cert), keyfile=str(key)), "127.0.0.1", 0
    )
    server.start()
    try:
        wire = Wire(server, emulator)
        with psycopg.connect(wire.conninfo(sslmode="require"), autocommit=True) as conn:
            assert conn.info.pgconn.ssl_in_use
            assert conn.execute("SELECT count(*) FROM feature_flags").fetchone() is not None
    finally:
        server.shutdown()
        server.server_close()

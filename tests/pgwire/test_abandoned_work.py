"""serve-pg bounds hostile work: statement_timeout, cancel requests and closed clients stop a
runaway statement within a second, one client cannot run more than its share at once, other
clients are answered throughout, and file and schema attacks are refused with a SQLSTATE."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from posthog_dbapi.pgwire import PgServer, ServerConfig
from posthog_dbapi.pgwire.guard import format_timeout, parse_timeout
from posthog_emulator import EmulatorServer

from .conftest import Wire

RUNAWAY = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
# The same, on the PostHog connection rather than the catalog database.
RUNAWAY_POSTHOG = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
    "SELECT count(*) FROM c, (SELECT 1 FROM dashboards LIMIT 1) d"
)


def _wait_for(condition: object, seconds: float = 10.0) -> float:
    """Seconds until ``condition()`` held (fails after ``seconds``)."""
    started = time.monotonic()
    while not condition():  # type: ignore[operator]
        assert time.monotonic() - started < seconds, "timed out waiting"
        time.sleep(0.02)
    return time.monotonic() - started


@pytest.fixture
def small_server(emulator: EmulatorServer) -> Iterator[Wire]:
    """A server allowing one running statement per client and a 20s statement timeout."""
    config = ServerConfig(api_url=emulator.url, statement_timeout=20.0, max_statements_per_client=1)
    server = PgServer(config, "127.0.0.1", 0)
    server.start()
    yield Wire(server, emulator)
    server.shutdown()
    server.server_close()


def _raw_client(wire: Wire) -> socket.socket:
    """A logged-in client socket that speaks just enough protocol to send one query."""
    sock = socket.create_connection((wire.host, wire.port), timeout=10)
    params = f"user\0analyst\0database\0{wire.database}\0\0".encode()
    sock.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)
    stream = sock.makefile("rb")

    def read() -> tuple[bytes, bytes]:
        kind = stream.read(1)
        (size,) = struct.unpack("!i", stream.read(4))
        return kind, stream.read(size - 4)

    kind, body = read()
    assert kind == b"R" and struct.unpack("!i", body[:4])[0] == 3  # cleartext password
    password = wire.key.encode() + b"\0"
    sock.sendall(b"p" + struct.pack("!i", 4 + len(password)) + password)
    while read()[0] != b"Z":
        pass
    return sock


def _send_query(sock: socket.socket, sql: str) -> None:
    text = sql.encode() + b"\0"
    sock.sendall(b"Q" + struct.pack("!i", 4 + len(text)) + text)


@pytest.mark.parametrize(
    ("value", "seconds", "shown"),
    [("5000", 5.0, "5s"), ("'250ms'", 0.25, "250ms"), ("1min", 60.0, "1min"), ("0", None, "0")],
)
def test_statement_timeout_values(value: str, seconds: float | None, shown: str) -> None:
    assert parse_timeout(value) == seconds
    assert format_timeout(seconds) == shown


@pytest.mark.parametrize("sql", [RUNAWAY, RUNAWAY_POSTHOG])
def test_set_statement_timeout_stops_a_runaway_statement(wire: Wire, sql: str) -> None:
    with psycopg.connect(wire.conninfo(), autocommit=True) as conn:
        conn.execute("SET statement_timeout = '300ms'")
        assert conn.execute("SHOW statement_timeout").fetchone() == ("300ms",)
        started = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled, match="statement_timeout"):
            conn.execute(sql)
        assert time.monotonic() - started < 5
        # The session still works (with time for a REST read on a loaded machine).
        conn.execute("SET statement_timeout = '60s'")
        assert conn.execute("SELECT count(*) FROM dashboards").fetchone()[0] > 0


def test_a_client_cannot_lift_the_servers_timeout(small_server: Wire) -> None:
    notices: list[str] = []
    with psycopg.connect(small_server.conninfo(), autocommit=True) as conn:
        conn.add_notice_handler(lambda diag: notices.append(diag.message_primary or ""))
        assert conn.execute("SHOW statement_timeout").fetchone() == ("20s",)
        conn.execute("SET statement_timeout = 0")
        assert conn.execute("SHOW statement_timeout").fetchone() == ("20s",)
    assert any("capped at the server's 20s" in n for n in notices)
    with psycopg.connect(small_server.conninfo(), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.DataException, match="statement_timeout"):
            conn.execute("SET statement_timeout = 'soon'")
        assert conn.execute("SHOW statement_timeout").fetchone() == ("20s",)


@pytest.mark.parametrize("sql", [RUNAWAY, RUNAWAY_POSTHOG])
def test_a_cancel_request_stops_a_runaway_statement(wire: Wire, sql: str) -> None:
    with psycopg.connect(wire.conninfo(), autocommit=True) as conn:
        errors: list[BaseException] = []

        def run() -> None:
            try:
                conn.execute(sql)
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        _wait_for(lambda: wire.server.running_statements() == 1)
        conn.cancel_safe()
        thread.join(5)
        assert not thread.is_alive()
        assert len(errors) == 1 and isinstance(errors[0], psycopg.errors.QueryCanceled)
        assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.parametrize("sql", [RUNAWAY, RUNAWAY_POSTHOG])
def test_a_closed_client_stops_its_statement_and_the_cpu_falls_back(wire: Wire, sql: str) -> None:
    sock = _raw_client(wire)
    _send_query(sock, sql)
    _wait_for(lambda: wire.server.running_statements() == 1)
    # Other clients are answered while the runaway statement runs.
    with psycopg.connect(wire.conninfo(), autocommit=True, connect_timeout=10) as other:
        assert other.execute("SELECT count(*) FROM dashboards").fetchone()[0] > 0
    sock.close()
    # Stopped, not merely finished: the CTE is endless (how soon is a benchmark's business).
    _wait_for(lambda: wire.server.running_statements() == 0)
    cpu = time.process_time()
    time.sleep(0.5)
    assert time.process_time() - cpu < 0.25  # nothing is spinning any more


def test_one_client_runs_at_most_its_share_of_statements(small_server: Wire) -> None:
    sock = _raw_client(small_server)
    _send_query(sock, RUNAWAY)
    _wait_for(lambda: small_server.server.running_statements() == 1)
    with psycopg.connect(small_server.conninfo(), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.TooManyConnections, match="at once"):
            conn.execute("SELECT 1")
        sock.close()
        _wait_for(lambda: small_server.server.running_statements() == 0)
        assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.parametrize(
    "sql",
    [
        "ATTACH DATABASE '{path}' AS pwn",
        "VACUUM INTO '{path}'",
        "CREATE TABLE t(x)",
        "DROP TABLE feature_flags",
        "PRAGMA writable_schema = ON",
    ],
)
def test_file_and_schema_attacks_are_refused(wire: Wire, tmp_path: Path, sql: str) -> None:
    path = tmp_path / "pwn.db"
    with psycopg.connect(wire.conninfo(), autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as error:
            conn.execute(sql.format(path=path))
        assert error.value.sqlstate in ("0A000", "42601")  # not supported, or not PostgreSQL
        assert error.value.diag.message_primary
        assert conn.execute("SELECT count(*) FROM feature_flags").fetchone()[0] >= 0
    assert list(tmp_path.iterdir()) == []


def test_serve_pg_takes_the_limits_on_its_command_line() -> None:
    from posthog_dbapi.pgwire.cli import build_parser

    args = build_parser().parse_args(
        ["--statement-timeout", "30", "--max-statements-per-client", "2"]
    )
    assert (args.statement_timeout, args.max_statements_per_client) == (30.0, 2)
    assert build_parser().parse_args([]).statement_timeout == 600
    for bad in (["--statement-timeout", "-1"], ["--max-statements-per-client", "0"]):
        with pytest.raises(SystemExit):
            build_parser().parse_args(bad)

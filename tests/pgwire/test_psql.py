"""Debian's psql against the wire server: queries, meta-commands and a refused login."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from posthog_dbapi.dbapi import Connection

from .conftest import Wire

PSQL = shutil.which("psql")


def psql(wire: Wire, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    if PSQL is None:
        pytest.fail("psql is missing: run scripts/ci-system-deps (installs postgresql-client)")
    env = {**os.environ, "PGPASSWORD": password or wire.key, "PGSSLMODE": "disable",
           "PGCONNECT_TIMEOUT": "20"}  # fmt: skip
    return subprocess.run(
        [
            PSQL,
            "-h",
            wire.host,
            "-p",
            str(wire.port),
            "-U",
            "analyst",
            "-d",
            wire.database,
            "-X",
            "-A",
            "-t",
            "-F",
            "\t",
            "-v",
            "ON_ERROR_STOP=1",
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_psql_query_matches_dbapi(wire: Wire, dbapi: Connection) -> None:
    cur = dbapi.cursor()
    cur.execute("SELECT key, name FROM feature_flags ORDER BY id")
    expected = [f"{key}\t{name}" for key, name in cur.fetchall()]
    done = psql(wire, "-c", "SELECT key, name FROM public.feature_flags ORDER BY id")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == expected


def test_psql_time_series_over_events(wire: Wire, dbapi: Connection) -> None:
    cur = dbapi.cursor()
    cur.execute(
        "SELECT DATETIME(timestamp, 'start of day') AS d, count(*) FROM events "
        "WHERE event = '$pageview' GROUP BY 1 ORDER BY 1"
    )
    expected = [f"{d}\t{n}" for d, n in cur.fetchall()]
    done = psql(
        wire,
        "-c",
        "SELECT date_trunc('day', timestamp)::timestamp, count(*) FROM events "
        "WHERE event = '$pageview' GROUP BY 1 ORDER BY 1;",
    )
    assert done.returncode == 0, done.stderr
    assert expected and done.stdout.splitlines() == expected


def test_psql_lists_tables(wire: Wire, dbapi: Connection) -> None:
    done = psql(wire, "-c", r"\dt")
    assert done.returncode == 0, done.stderr
    names = [line.split("\t")[1] for line in done.stdout.splitlines()]
    # \dt lists the tables on the search path (public); views and other schemas are apart.
    assert names == [t.name for t in dbapi.tables() if t.schema is None and not t.is_view]


def test_psql_shows_errors_with_hint(wire: Wire) -> None:
    done = psql(wire, "-c", "SELECT nope FROM feature_flags")
    assert done.returncode != 0
    assert "no such column: nope" in done.stderr


def test_psql_refuses_a_wrong_key(wire: Wire) -> None:
    done = psql(wire, "-c", "SELECT 1", password="phx_wrong")
    assert done.returncode != 0
    assert "FATAL" in done.stderr and "phx_wrong" not in done.stderr


def test_psql_describes_a_table_schemas_and_databases(wire: Wire, dbapi: Connection) -> None:
    done = psql(
        wire,
        "-c",
        r"\d feature_flags",
        "-c",
        r"\dn",
        "-c",
        r"\l",
        "-c",
        r"\di",
        "-c",
        r"\copy (SELECT id, key FROM feature_flags ORDER BY id) TO STDOUT WITH CSV HEADER",
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    fields = dbapi.get_fields("feature_flags")
    described = [line.split("\t") for line in lines[: len(fields)]]
    assert [row[0] for row in described] == list(fields)
    types = {row[0]: row[1] for row in described}
    assert types["id"] == "bigint" and types["active"] == "boolean"
    assert types["created_at"] == "timestamp with time zone"
    assert "not null" in dict((row[0], row[3]) for row in described)["id"]
    assert "public\tfeature_flags_pkey\tindex\tanalyst\tfeature_flags" in lines  # \di
    assert "public\tanalyst" in lines  # \dn
    assert any(line.startswith(f"{wire.database}\tanalyst\tUTF8") for line in lines)  # \l
    cur = dbapi.cursor()
    cur.execute("SELECT id, key FROM feature_flags ORDER BY id")
    expected = ["id,key", *(f"{i},{k}" for i, k in cur.fetchall())]
    assert lines[-len(expected) :] == expected  # \copy ... TO STDOUT WITH CSV HEADER

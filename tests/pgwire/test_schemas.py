"""Every table the connection offers, through the wire server, each in its PostgreSQL schema:
PostHog's own tables, the REST resources and saved views in ``public``, the Stripe warehouse
source in ``stripe``, the system tables in ``system`` (psycopg and psql as the clients)."""

from __future__ import annotations

import psycopg
import pytest

from posthog_dbapi.dbapi import Connection
from posthog_dbapi.driver import clear_query_cache
from posthog_emulator import EmulatorServer

from .conftest import Wire
from .test_psql import psql


def _query_requests(emulator: EmulatorServer) -> int:
    return sum(1 for r in emulator.app.request_log if r.path.endswith("/query/"))


def test_catalog_lists_every_table_in_its_schema(wire: Wire, dbapi: Connection) -> None:
    listing = {(t.schema or "public", t.name): t for t in dbapi.tables()}
    with psycopg.connect(wire.conninfo(), autocommit=True) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name, table_type FROM information_schema.tables"
        ).fetchall()
        namespaces = [r[0] for r in conn.execute("SELECT nspname FROM pg_namespace").fetchall()]
        columns = conn.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0 ORDER BY a.attnum",
            ("stripe", "charge"),
        ).fetchall()
        views = conn.execute(
            "SELECT n.nspname, c.relname FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'v'"
        ).fetchall()
    assert ("stripe", "charge") in {(s, n) for s, n, _ in tables}
    assert {(s, n) for s, n, _ in tables} == set(listing)
    assert len(tables) == len(listing)
    assert {"public", "stripe", "system", "pg_catalog", "information_schema"} <= set(namespaces)
    assert {s for s, _ in listing} <= set(namespaces)
    charge = listing[("stripe", "charge")]
    assert columns == [(c.name, c.type.types.pg_type) for c in charge.columns]
    assert ("public", "daily_signups") in views
    assert sorted(views) == sorted(key for key, t in listing.items() if t.is_view)
    assert {(s, n) for s, n, kind in tables if kind == "VIEW"} == set(views)


def test_warehouse_tables_answer_as_the_dbapi_does(
    wire: Wire, dbapi: Connection, emulator: EmulatorServer
) -> None:
    sql = (
        "SELECT c.email, count(*) AS charges, sum(ch.amount) AS amount "
        "FROM stripe.customer c JOIN stripe.charge ch ON ch.customer = c.id "
        "WHERE ch.paid = {} GROUP BY c.email ORDER BY amount DESC, c.email LIMIT 5"
    )
    with psycopg.connect(wire.conninfo(), autocommit=True) as conn:
        conn.execute("SELECT 1 FROM stripe.charge LIMIT 1").fetchall()  # learns the tables
        emulator.app.request_log.clear()
        simple = conn.execute(sql.format("true")).fetchall()
        requests = _query_requests(emulator)
        extended = conn.execute(sql.format("%s"), (True,)).fetchall()
        quoted = conn.execute(
            'SELECT count(*) FROM "stripe"."customer" WHERE email LIKE %s', ("%@%",)
        ).fetchone()
        system = conn.execute("SELECT count(*) FROM system.dashboards").fetchone()
    dbapi.tables()  # learns the tables
    clear_query_cache()
    emulator.app.request_log.clear()
    cur = dbapi.cursor()
    cur.execute(sql.format("?"), (True,))
    expected = [tuple(row) for row in cur.fetchall()]
    assert expected and simple == extended == expected
    # The front adds no Query API request to what the DB-API sends for the same statement.
    assert requests == _query_requests(emulator) >= 1
    cur.execute("SELECT count(*) FROM stripe.customer WHERE email LIKE '%@%'")
    assert quoted == cur.fetchone()
    cur.execute("SELECT count(*) FROM system.dashboards")
    assert system == cur.fetchone()


def test_a_client_of_the_catalog_tables_never_lists_the_project(
    wire: Wire, emulator: EmulatorServer
) -> None:
    # Metabase's pool opens many clients: one that reads events and feature_flags costs the
    # HogQL of its statements, not a DatabaseSchemaQuery each (both are /query/ requests).
    clear_query_cache()
    emulator.app.request_log.clear()
    with psycopg.connect(wire.conninfo(), autocommit=True) as conn:
        conn.execute("SELECT count(*) FROM events WHERE event = %s", ("$pageview",)).fetchone()
        conn.execute("SELECT id, key FROM feature_flags ORDER BY id").fetchall()
    assert _query_requests(emulator) == 1


def test_a_table_outside_its_schema_gets_a_hint(wire: Wire) -> None:
    with psycopg.connect(wire.conninfo(), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.UndefinedTable) as unqualified:
            conn.execute("SELECT * FROM charge")
        assert "stripe.charge" in (unqualified.value.diag.message_hint or "")
        with pytest.raises(psycopg.errors.UndefinedTable) as missing:
            conn.execute("SELECT * FROM stripe.refunds")
        assert 'relation "stripe.refunds" does not exist' in str(missing.value)
        assert "stripe.customer" in (missing.value.diag.message_hint or "")


def test_psql_lists_schemas_and_their_tables(wire: Wire, dbapi: Connection) -> None:
    listing = dbapi.tables()
    done = psql(wire, "-c", r"\dn", "-c", r"\dt stripe.*", "-c", r"\dv", "-c", r"\d stripe.charge")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for schema in ("public", "stripe", "system"):
        assert f"{schema}\tanalyst" in lines  # \dn
    assert "stripe\tcharge\ttable\tanalyst" in lines and "stripe\tcustomer\ttable\tanalyst" in lines
    assert "public\tdaily_signups\tview\tanalyst" in lines  # \dv
    charge = next(t for t in listing if t.sql_name == "stripe.charge")
    described = [line.split("\t")[:2] for line in lines[-len(charge.columns) :]]
    assert described == [[c.name, c.type.types.pg_type] for c in charge.columns]

"""Catalog idioms PostgreSQL clients send (``'name'::regclass``, ``= ANY(conkey)``,
``pg_table_is_visible``, ``current_user``) answer with the rows PostgreSQL would give."""

from __future__ import annotations

import psycopg

from posthog_dbapi.catalog import RESOURCES
from posthog_dbapi.driver import clear_query_cache
from posthog_emulator import EmulatorServer

from .conftest import Wire

# The primary key columns of a table, as clients' introspection asks for them.
_PRIMARY_KEY = (
    "SELECT a.attname FROM pg_catalog.pg_attribute a, pg_constraint c "
    "WHERE c.conrelid = %s::regclass AND a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey) "
    "AND c.contype = 'p' AND pg_catalog.pg_table_is_visible(c.conrelid) AND current_user = %s"
)


def test_a_primary_key_lookup_answers_the_catalogs_key(
    wire: Wire, emulator: EmulatorServer
) -> None:
    clear_query_cache()
    emulator.app.request_log.clear()
    with psycopg.connect(wire.conninfo(), autocommit=True) as conn:
        for table in ("dashboards", "notebooks"):
            rows = conn.execute(_PRIMARY_KEY, (f"public.{table}", "analyst")).fetchall()
            assert rows == [(RESOURCES[table].primary_key,)], table
        # current_user is the login's user: another name matches nothing.
        assert conn.execute(_PRIMARY_KEY, ("public.dashboards", "someone")).fetchall() == []
    # The catalog is answered locally: the one Query API request is the listing of PostHog's
    # tables (DatabaseSchemaQuery), made once for all three statements.
    assert sum(1 for r in emulator.app.request_log if r.path.endswith("/query/")) == 1

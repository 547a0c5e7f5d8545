"""The column OIDs the wire reports are the column model's declared PostgreSQL types."""

from __future__ import annotations

import psycopg

from posthog_dbapi.dbapi import Connection
from tests.dbapi.test_type_codes import kind_samples

from .conftest import Wire


def test_the_wire_reports_each_kinds_declared_oid(wire: Wire, dbapi: Connection) -> None:
    with psycopg.connect(wire.conninfo(), autocommit=True) as client:
        for kind, (table, column) in kind_samples(dbapi).items():
            # A plain column is typed from its source column; one read through a subquery
            # from the DB-API's type code.
            for sql in (
                f"SELECT {column}, count(*) FROM {table} GROUP BY 1 LIMIT 1",
                f"SELECT c FROM (SELECT {column} AS c FROM {table}) AS s LIMIT 1",
            ):
                cur = client.execute(sql.encode())
                assert cur.description is not None
                assert cur.description[0].type_code == kind.types.pg_oid, sql

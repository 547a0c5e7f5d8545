"""An emulated PostgreSQL catalog: ``pg_catalog`` and ``information_schema`` as SQLite tables.

pgjdbc's ``DatabaseMetaData``, Metabase's sync and psql ask the server about its tables with SQL
over ``pg_namespace``, ``pg_class``, ``pg_attribute``, ``pg_type``, ``pg_description``,
``pg_constraint``, ``information_schema.columns`` and so on. This module builds those tables in a
private SQLite database (schemas attached under the same names) from the package's catalog and
the connection's one table listing (``Connection.tables()``): every table in its schema
(``public`` for PostHog's own tables and the REST resources, ``stripe``, ``system``, ... for
warehouse sources and system tables, each schema a ``pg_namespace`` row), saved views as views
(``relkind 'v'``), their columns and types, comments, primary keys and foreign keys (the rows
come from ``pgrelations``). It also registers the functions these queries call
(``has_table_privilege``, ``format_type``, ``col_description``, ``format``, ``regexp``, ...).
Privileges are the real ones: SELECT on every table, INSERT/UPDATE/DELETE where PostHog allows
them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import apsw

from posthog_dbapi.catalog.tables import TableInfo
from posthog_dbapi.pgwire.pgfunctions import register_functions
from posthog_dbapi.pgwire.pgrelations import (
    NS_PG_CATALOG,
    OWNER_OID,
    PG_CLASS_OID,
    class_row,
    relation_rows,
)
from posthog_dbapi.pgwire.pgschema import TABLES, catalog_column_type, column_names
from posthog_dbapi.pgwire.pgtypes import PG_TYPES

__all__ = ["CatalogDatabase", "Relation", "catalog_column_type"]

FIRST_TABLE_OID = 16384

# PostgreSQL's own OIDs for the catalog relations (clients compare classoid with 'pg_x'::regclass).
_CATALOG_OIDS = {
    "pg_type": 1247, "pg_attribute": 1249, "pg_proc": 1255, "pg_class": PG_CLASS_OID,
    "pg_database": 1262, "pg_constraint": 2606, "pg_description": 2609, "pg_index": 2610,
    "pg_namespace": 2615, "pg_am": 2601, "pg_attrdef": 2604, "pg_tablespace": 1213,
}  # fmt: skip

Relation = tuple[int, TableInfo]
"""(oid, the table as the connection lists it)."""


class CatalogDatabase:
    """The catalog of one session, answering SQL over pg_catalog and information_schema."""

    def __init__(
        self,
        relations: list[Relation],
        *,
        user: str,
        database: str,
        settings: Mapping[str, str],
    ) -> None:
        self.user = user
        self.database = database
        self.settings = settings
        self.db = apsw.Connection(":memory:")
        for schema in TABLES:
            self.db.execute(f"ATTACH DATABASE ':memory:' AS {schema}")
        for schema, tables in TABLES.items():
            for name, columns in tables.items():
                self.db.execute(f"CREATE TABLE {schema}.{name} ({columns})")
        self.oids: dict[tuple[str, str], int] = {
            ("pg_catalog", name): oid for name, oid in _CATALOG_OIDS.items()
        }
        self.relations = {oid: table for oid, table in relations}
        self.comments: dict[tuple[int, int], str] = {}
        self.constraint_defs: dict[int, str] = {}
        self.index_defs: dict[int, tuple[str, list[str]]] = {}
        self._fill(relations)
        register_functions(self)

    def close(self) -> None:
        self.db.close(True)

    def cursor(self) -> apsw.Cursor:
        return self.db.cursor()

    # --- contents -----------------------------------------------------------------------------

    def _insert(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        marks = ",".join("?" * len(rows[0]))
        with self.db:
            self.db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)

    def _insert_named(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Rows given by column name; the columns not named are NULL."""
        schema, name = table.split(".")
        names = column_names(schema, name)
        self._insert(table, [tuple(row.get(column) for column in names) for row in rows])

    def _fill(self, relations: list[Relation]) -> None:
        db, user = self.database, self.user
        self._insert("pg_database", [(1, db, OWNER_OID, 6, "C", "C", 0, 1, None)])
        self._insert("pg_roles", [(OWNER_OID, user, 0, 1, 0, 0, 1)])
        self._insert("pg_user", [(user, OWNER_OID, 0, 0)])
        self._insert("pg_am", [(2, "heap", "heap_tableam_handler", "t"),
                               (403, "btree", "bthandler", "i")])  # fmt: skip
        # Compile-time limits clients read (pgjdbc's getMaxIndexKeys), then the session's settings.
        fixed = {"max_index_keys": "32", "max_identifier_length": "63", "block_size": "8192"}
        settings = {**fixed, **self.settings}
        self._insert("pg_settings", [(k, v, None, None, None) for k, v in settings.items()])
        types = [
            (t.oid, t.name, NS_PG_CATALOG, OWNER_OID, t.size, int(0 < t.size <= 8), "b",
             t.category, 0, 1, ",", 0, t.elem, t.array, t.function("in"), t.function("out"),
             t.function("recv"), t.function("send"), "d" if t.size == 8 else "i", "p", 0, 0, -1,
             0, 0, None)
            for t in PG_TYPES.values()
        ]  # fmt: skip
        self._insert("pg_type", types)
        self._insert("pg_class", [class_row(oid, name, NS_PG_CATALOG, 0)
                                  for name, oid in _CATALOG_OIDS.items()])  # fmt: skip
        self._insert("pg_tablespace", [(1663, "pg_default", OWNER_OID, None, None)])
        found = relation_rows(relations, database=db, user=user)
        self.oids.update(found.oids)
        self.comments.update(found.comments)
        self.constraint_defs.update(found.constraint_defs)
        self.index_defs.update(found.index_defs)
        for table, rows in found.rows.items():
            self._insert(table, rows)
        for table, named in found.named.items():
            self._insert_named(table, named)

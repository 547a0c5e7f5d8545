"""The catalog rows that describe the connection's tables, one schema per ``pg_namespace`` row.

``relation_rows`` turns the connection's one table listing (``Connection.tables()``) into the
rows of ``pg_namespace``, ``pg_class``, ``pg_attribute``, ``pg_description``, ``pg_constraint``,
``pg_index``, ``pg_tables``/``pg_views`` and ``information_schema``'s ``schemata``, ``tables``,
``columns`` and constraint views. PostHog's own tables and the REST resources are in ``public``;
a warehouse table ``stripe.customer`` is ``customer`` in schema ``stripe``; ``system.*`` is
schema ``system``. Saved views are views (``relkind 'v'``, ``table_type 'VIEW'``); every other
table is a base table, which is what PostgreSQL clients list and query.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from posthog_dbapi.catalog.tables import TableInfo
from posthog_dbapi.pgwire.codec import OID, TYPE_SIZES
from posthog_dbapi.pgwire.pgfunctions import quote_ident
from posthog_dbapi.pgwire.pgtypes import PG_TYPES
from posthog_dbapi.pgwire.translate import USER_SCHEMA

__all__ = [
    "NS_FIRST_USER",
    "NS_INFORMATION_SCHEMA",
    "NS_PG_CATALOG",
    "NS_PUBLIC",
    "PG_CLASS_OID",
    "RelationRows",
    "class_row",
    "relation_rows",
]

NS_PG_CATALOG, NS_PUBLIC, NS_INFORMATION_SCHEMA = 11, 2200, 13000
NS_FIRST_USER = 14000
"""The OID of the first schema after ``public`` (``stripe``, ``system``, ...), clear of the
tables' OIDs (16384 on)."""
PG_CLASS_OID = 1259
OWNER_OID = 10
# A table's primary key index has OID table OID + this; constraints count from _FIRST_CONSTRAINT.
_INDEX_OID_OFFSET = 20000
_FIRST_CONSTRAINT = 30000

# information_schema.columns' precision columns for the types the tables use.
_PRECISION: dict[int, dict[str, int]] = {
    OID.INT8: {"numeric_precision": 64, "numeric_precision_radix": 2, "numeric_scale": 0},
    OID.FLOAT8: {"numeric_precision": 53, "numeric_precision_radix": 2},
    OID.TIMESTAMPTZ: {"datetime_precision": 6},
    OID.DATE: {"datetime_precision": 0},
}

Rows = list[tuple[Any, ...]]


@dataclass
class RelationRows:
    """Rows by catalog table (``schema.table`` for information_schema's, named by column)."""

    rows: dict[str, Rows] = field(default_factory=dict)
    named: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    oids: dict[tuple[str, str], int] = field(default_factory=dict)
    """(schema, relation name) -> OID, tables and their primary key indexes."""
    comments: dict[tuple[int, int], str] = field(default_factory=dict)
    constraint_defs: dict[int, str] = field(default_factory=dict)
    index_defs: dict[int, tuple[str, list[str]]] = field(default_factory=dict)

    def add(self, table: str, *rows: tuple[Any, ...]) -> None:
        self.rows.setdefault(table, []).extend(rows)

    def add_named(self, table: str, row: dict[str, Any]) -> None:
        self.named.setdefault(table, []).append(row)


def class_row(oid: int, name: str, namespace: int, natts: int, kind: str = "r") -> tuple[Any, ...]:
    """A ``pg_class`` row (kind ``r`` table, ``v`` view, ``i`` index)."""
    am = 403 if kind == "i" else 2 if kind == "r" else 0
    return (oid, name, namespace, 0, 0, OWNER_OID, am, oid, 0, 0, -1.0, 0, 0, int(kind == "r"),
            0, "p", kind, natts, 0, 0, 0, 0, 0, 0, 1, "d", 0, None, None, None)  # fmt: skip


def schema_of(table: TableInfo) -> str:
    """The PostgreSQL schema of ``table``: its own, else ``public``."""
    return table.schema or USER_SCHEMA


class _Builder:
    def __init__(self, relations: Sequence[tuple[int, TableInfo]], database: str, user: str):
        self.relations = relations
        self.db = database
        self.user = user
        self.out = RelationRows()
        self.by_name = {table.sql_name: (oid, table) for oid, table in relations}
        names = sorted({table.schema for _, table in relations if table.schema})
        self.namespaces = {USER_SCHEMA: NS_PUBLIC}
        self.namespaces.update({name: NS_FIRST_USER + i for i, name in enumerate(names)})
        self.constraint_oid = _FIRST_CONSTRAINT

    def build(self) -> RelationRows:
        schemas = [("pg_catalog", NS_PG_CATALOG), *self.namespaces.items(),
                   ("information_schema", NS_INFORMATION_SCHEMA)]  # fmt: skip
        for name, oid in schemas:
            self.out.add("pg_namespace", (oid, name, OWNER_OID, None))
            self.out.add_named(
                "information_schema.schemata",
                {"catalog_name": self.db, "schema_name": name, "schema_owner": self.user},
            )
        for oid, table in self.relations:
            self.out.oids[(schema_of(table), table.name)] = oid
        for oid, table in self.relations:
            positions = self._table(oid, table)
            if table.primary_key and all(c in positions for c in table.primary_key):
                self._primary_key(oid, table, positions)
            self._foreign_keys(oid, table, positions)
        return self.out

    def _table(self, oid: int, table: TableInfo) -> dict[str, int]:
        """The table's own rows and its columns'; returns each column's attnum."""
        out, db, schema, name = self.out, self.db, schema_of(table), table.name
        view = table.is_view
        out.add("pg_class", class_row(oid, name, self.namespaces[schema], len(table.columns),
                                      kind="v" if view else "r"))  # fmt: skip
        out.add_named("information_schema.tables", {
            "table_catalog": db, "table_schema": schema, "table_name": name,
            "table_type": "VIEW" if view else "BASE TABLE", "is_typed": "NO",
            "is_insertable_into": "YES" if table.writable else "NO",
        })  # fmt: skip
        if view:
            # PostHog does not report a view's HogQL through DatabaseSchemaQuery's light form.
            out.add("pg_views", (schema, name, self.user, None))
            out.add_named(
                "information_schema.views",
                {"table_catalog": db, "table_schema": schema, "table_name": name},
            )
        else:
            out.add("pg_tables", (schema, name, self.user, None, int(bool(table.primary_key)),
                                  0, 0, 0))  # fmt: skip
        out.add("pg_stat_user_tables", (oid, schema, name, None))
        if table.comment:
            out.add("pg_description", (oid, PG_CLASS_OID, 0, table.comment))
            out.comments[(oid, 0)] = table.comment
        positions: dict[str, int] = {}
        for attnum, column in enumerate(table.columns, start=1):
            positions[column.name] = attnum
            type_oid, data_type = column.type.types.pg_oid, column.type.types.pg_type
            not_null = column.name in table.primary_key or not column.nullable
            out.add("pg_attribute", (oid, column.name, type_oid, -1, TYPE_SIZES.get(type_oid, -1),
                                     attnum, 0, -1, -1, 0, "p", "i", int(not_null), 0, 0, "", "",
                                     0, 1, 0, 0, None, None, ""))  # fmt: skip
            out.add_named("information_schema.columns", {
                "table_catalog": db, "table_schema": schema, "table_name": name,
                "column_name": column.name, "ordinal_position": attnum,
                "is_nullable": "NO" if not_null else "YES", "data_type": data_type,
                **_PRECISION.get(type_oid, {}), "udt_catalog": db, "udt_schema": "pg_catalog",
                "udt_name": PG_TYPES[type_oid].name, "dtd_identifier": str(attnum),
                "is_self_referencing": "NO", "is_identity": "NO", "is_generated": "NEVER",
                "is_updatable": "YES" if table.writable else "NO",
            })  # fmt: skip
            if column.comment:
                out.add("pg_description", (oid, PG_CLASS_OID, attnum, column.comment))
                out.comments[(oid, attnum)] = column.comment
        return positions

    def _primary_key(self, oid: int, table: TableInfo, positions: dict[str, int]) -> None:
        out, db, schema, name = self.out, self.db, schema_of(table), table.name
        namespace = self.namespaces[schema]
        self.constraint_oid += 1
        pkey = f"{name}_pkey"
        numbers = [positions[c] for c in table.primary_key]
        key = json.dumps(numbers)
        index_oid = oid + _INDEX_OID_OFFSET
        out.add("pg_constraint", (self.constraint_oid, pkey, namespace, "p", 0, 0, 1, oid, 0,
                                  index_oid, 0, " ", " ", " ", 1, 0, key, None, None))  # fmt: skip
        out.add(
            "information_schema.table_constraints",
            (db, schema, pkey, db, schema, name, "PRIMARY KEY", "NO", "NO", "YES"),
        )
        for position, column in enumerate(table.primary_key, start=1):
            out.add(
                "information_schema.key_column_usage",
                (db, schema, pkey, db, schema, name, column, position, None),
            )
        # The primary key's unique index, as pg_index-based clients (pgjdbc, psqlODBC,
        # SQLAlchemy) find primary keys and statistics through it.
        count = len(numbers)
        out.add("pg_class", class_row(index_oid, pkey, namespace, count, kind="i"))
        zeros = json.dumps([0] * count)
        # Arrays and vectors are JSON text throughout the catalog (catalogsql reads them so).
        out.add("pg_index", (index_oid, oid, count, count, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0, key,
                             zeros, json.dumps([1978] * count), zeros, None, None))  # fmt: skip
        attributes = {row[1]: row for row in out.rows["pg_attribute"] if row[0] == oid}
        for position, column in enumerate(table.primary_key, start=1):
            attribute = attributes[column]
            out.add("pg_attribute", (index_oid, column, *attribute[2:5], position, *attribute[6:]))
        columns = [quote_ident(c) for c in table.primary_key]
        out.constraint_defs[self.constraint_oid] = f"PRIMARY KEY ({', '.join(columns)})"
        out.index_defs[index_oid] = (
            f"CREATE UNIQUE INDEX {quote_ident(pkey)} ON {quote_ident(schema)}."
            f"{quote_ident(name)} USING btree ({', '.join(columns)})",
            columns,
        )
        out.oids[(schema, pkey)] = index_oid

    def _foreign_keys(self, oid: int, table: TableInfo, positions: dict[str, int]) -> None:
        out, db, schema, name = self.out, self.db, schema_of(table), table.name
        for fk in table.foreign_keys:
            target = self.by_name.get(fk.table)
            if target is None or fk.column not in positions:
                continue
            target_oid, target_table = target
            target_columns = [c.name for c in target_table.columns]
            if fk.table_column not in target_columns:
                continue
            self.constraint_oid += 1
            fkey = f"{name}_{fk.column}_fkey"
            target_schema = schema_of(target_table)
            # conindid: the referenced table's primary key index (pgjdbc joins on it)
            out.add("pg_constraint", (
                self.constraint_oid, fkey, self.namespaces[schema], "f", 0, 0, 1, oid, 0,
                target_oid + _INDEX_OID_OFFSET, target_oid, "a", "a", "s", 1, 0,
                json.dumps([positions[fk.column]]),
                json.dumps([target_columns.index(fk.table_column) + 1]), None,
            ))  # fmt: skip
            out.add(
                "information_schema.table_constraints",
                (db, schema, fkey, db, schema, name, "FOREIGN KEY", "NO", "NO", "YES"),
            )
            out.add(
                "information_schema.key_column_usage",
                (db, schema, fkey, db, schema, name, fk.column, 1, 1),
            )
            out.add("information_schema.referential_constraints",
                    (db, schema, fkey, db, target_schema, f"{target_table.name}_pkey", "NONE",
                     "NO ACTION", "NO ACTION"))  # fmt: skip
            reference = quote_ident(target_table.name)
            if target_table.schema:
                reference = f"{quote_ident(target_table.schema)}.{reference}"
            out.constraint_defs[self.constraint_oid] = (
                f"FOREIGN KEY ({quote_ident(fk.column)}) REFERENCES "
                f"{reference}({quote_ident(fk.table_column)})"
            )


def relation_rows(
    relations: Sequence[tuple[int, TableInfo]], *, database: str, user: str
) -> RelationRows:
    """The catalog rows for ``relations`` (each table with its OID)."""
    return _Builder(relations, database, user).build()

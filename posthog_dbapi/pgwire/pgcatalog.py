"""An emulated PostgreSQL catalog: ``pg_catalog`` and ``information_schema`` as SQLite tables.

pgjdbc's ``DatabaseMetaData``, Metabase's sync and psql ask the server about its tables with SQL
over ``pg_namespace``, ``pg_class``, ``pg_attribute``, ``pg_type``, ``pg_description``,
``pg_constraint``, ``information_schema.columns`` and so on. This module builds those tables in a
private SQLite database (schemas attached under the same names) from the package's catalog and
``get_fields``: one relation per PostHog resource in schema ``public``, its columns and their
types, comments from the resource and field descriptions, primary keys and the catalog's foreign
keys. It also registers the functions these queries call (``has_table_privilege``,
``format_type``, ``col_description``, ``format``, ``regexp``, ...). Privileges are the real ones:
SELECT on every table, INSERT/UPDATE/DELETE where PostHog allows them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import apsw

from posthog_dbapi.catalog import RESOURCES
from posthog_dbapi.catalog.spec import ColumnType
from posthog_dbapi.pgwire.codec import OID, TYPE_SIZES
from posthog_dbapi.pgwire.pgfunctions import quote_ident, register_functions
from posthog_dbapi.pgwire.pgschema import TABLES, catalog_column_type, column_names
from posthog_dbapi.pgwire.pgtypes import PG_TYPES

__all__ = ["KIND_TYPES", "CatalogDatabase", "Relation", "catalog_column_type"]

NS_PG_CATALOG, NS_PUBLIC, NS_INFORMATION_SCHEMA = 11, 2200, 13000
PG_CLASS_OID = 1259
FIRST_TABLE_OID = 16384
OWNER_OID = 10

# catalog column kind -> (type OID, information_schema data_type); the kinds carry their types.
KIND_TYPES: dict[str, tuple[int, str]] = {
    **{kind.value: (kind.types.pg_oid, kind.types.pg_type) for kind in ColumnType},
    "float": (OID.FLOAT8, "double precision"),  # the DB-API's type code for ColumnType.FLOAT
    "binary": (OID.BYTEA, "bytea"),
}


# PostgreSQL's own OIDs for the catalog relations (clients compare classoid with 'pg_x'::regclass).
_CATALOG_OIDS = {
    "pg_type": 1247, "pg_attribute": 1249, "pg_proc": 1255, "pg_class": PG_CLASS_OID,
    "pg_database": 1262, "pg_constraint": 2606, "pg_description": 2609, "pg_index": 2610,
    "pg_namespace": 2615, "pg_am": 2601, "pg_attrdef": 2604, "pg_tablespace": 1213,
}  # fmt: skip

# information_schema.columns' precision columns for the types the tables use.
_PRECISION: dict[int, dict[str, int]] = {
    OID.INT8: {"numeric_precision": 64, "numeric_precision_radix": 2, "numeric_scale": 0},
    OID.FLOAT8: {"numeric_precision": 53, "numeric_precision_radix": 2},
    OID.TIMESTAMPTZ: {"datetime_precision": 6},
    OID.DATE: {"datetime_precision": 0},
}

# A table's primary key index has OID table OID + this (clear of the constraint OIDs).
_INDEX_OID_OFFSET = 20000

Relation = tuple[int, str, dict[str, dict[str, Any]]]
"""(oid, table name, fields as get_fields reports them)."""


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
        self.relations = {name: (oid, fields) for oid, name, fields in relations}
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
        schemas = [(NS_PG_CATALOG, "pg_catalog"), (NS_PUBLIC, "public"),
                   (NS_INFORMATION_SCHEMA, "information_schema")]  # fmt: skip
        self._insert("pg_namespace", [(oid, name, OWNER_OID, None) for oid, name in schemas])
        self._insert_named(
            "information_schema.schemata",
            [
                {"catalog_name": db, "schema_name": name, "schema_owner": user}
                for _, name in schemas
            ],
        )
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
        self._insert("pg_class", [_class_row(oid, name, NS_PG_CATALOG, 0)
                                  for name, oid in _CATALOG_OIDS.items()])  # fmt: skip
        self._insert("pg_tablespace", [(1663, "pg_default", OWNER_OID, None, None)])
        for oid, name, _ in relations:
            self.oids[("public", name)] = oid
        Rows = list[tuple[Any, ...]]
        classes: Rows = []
        attributes: Rows = []
        descriptions: Rows = []
        columns: list[dict[str, Any]] = []
        tables: list[dict[str, Any]] = []
        privileges: Rows = []
        constraints: Rows = []
        table_constraints: Rows = []
        key_usage: Rows = []
        references: Rows = []
        stats: Rows = []
        indexes: Rows = []
        constraint_oid = 30000
        for oid, name, fields in relations:
            resource = RESOURCES[name]
            classes.append(_class_row(oid, name, NS_PUBLIC, len(fields)))
            insertable = "YES" if resource.route.can_create else "NO"
            tables.append({"table_catalog": db, "table_schema": "public", "table_name": name,
                           "table_type": "BASE TABLE", "is_typed": "NO",
                           "is_insertable_into": insertable})  # fmt: skip
            privileges.append(("public", name, user, None, 1, 0, 0, 0))
            stats.append((oid, "public", name, None))
            if resource.description:
                descriptions.append((oid, PG_CLASS_OID, 0, resource.description))
                self.comments[(oid, 0)] = resource.description
            positions: dict[str, int] = {}
            oid_start = len(attributes)
            for attnum, (column, info) in enumerate(fields.items(), start=1):
                positions[column] = attnum
                type_oid, data_type = KIND_TYPES.get(str(info.get("type")), KIND_TYPES["string"])
                not_null = column == resource.primary_key or not info.get("nullable", True)
                attributes.append((oid, column, type_oid, -1, TYPE_SIZES.get(type_oid, -1),
                                   attnum, 0, -1, -1, 0, "p", "i", int(not_null), 0, 0, "", "",
                                   0, 1, 0, 0, None, None, ""))  # fmt: skip
                columns.append({
                    "table_catalog": db, "table_schema": "public", "table_name": name,
                    "column_name": column, "ordinal_position": attnum,
                    "is_nullable": "NO" if not_null else "YES", "data_type": data_type,
                    **_PRECISION.get(type_oid, {}), "udt_catalog": db, "udt_schema": "pg_catalog",
                    "udt_name": PG_TYPES[type_oid].name, "dtd_identifier": str(attnum),
                    "is_self_referencing": "NO", "is_identity": "NO", "is_generated": "NEVER",
                    "is_updatable": "NO" if info.get("read_only") else "YES",
                })  # fmt: skip
                comment = str(info.get("description") or "")
                if comment:
                    descriptions.append((oid, PG_CLASS_OID, attnum, comment))
                    self.comments[(oid, attnum)] = comment
            if resource.primary_key in positions:
                constraint_oid += 1
                pkey = f"{name}_pkey"
                key = json.dumps([positions[resource.primary_key]])
                constraints.append((constraint_oid, pkey, NS_PUBLIC, "p", 0, 0, 1, oid, 0,
                                    oid + _INDEX_OID_OFFSET, 0, " ", " ", " ", 1, 0, key, None,
                                    None))  # fmt: skip
                table_constraints.append((db, "public", pkey, db, "public", name, "PRIMARY KEY",
                                          "NO", "NO", "YES"))  # fmt: skip
                key_usage.append((db, "public", pkey, db, "public", name, resource.primary_key,
                                  1, None))  # fmt: skip
                # The primary key's unique index, as pg_index-based clients (pgjdbc, psqlODBC,
                # SQLAlchemy) find primary keys and statistics through it.
                index_oid = oid + _INDEX_OID_OFFSET
                classes.append(_class_row(index_oid, pkey, NS_PUBLIC, 1, kind="i"))
                indexes.append((index_oid, oid, 1, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0,
                                key, "[0]", "[1978]", "[0]", None, None))  # fmt: skip
                pk_attribute = attributes[oid_start + positions[resource.primary_key] - 1]
                attributes.append((index_oid, resource.primary_key, *pk_attribute[2:5], 1,
                                   *pk_attribute[6:]))  # fmt: skip
                column_name = quote_ident(resource.primary_key)
                self.constraint_defs[constraint_oid] = f"PRIMARY KEY ({column_name})"
                self.index_defs[index_oid] = (
                    f"CREATE UNIQUE INDEX {pkey} ON public.{quote_ident(name)} USING btree "
                    f"({column_name})",
                    [column_name],
                )
                self.oids[("public", pkey)] = index_oid
            for fk in resource.foreign_keys:
                target = self.relations.get(fk.table)
                if fk.column not in positions or target is None or fk.table_column not in target[1]:
                    continue
                constraint_oid += 1
                fkey = f"{name}_{fk.column}_fkey"
                target_num = list(target[1]).index(fk.table_column) + 1
                # conindid: the referenced table's primary key index (pgjdbc joins on it)
                constraints.append((constraint_oid, fkey, NS_PUBLIC, "f", 0, 0, 1, oid, 0,
                                    target[0] + _INDEX_OID_OFFSET, target[0], "a", "a", "s", 1, 0,
                                    json.dumps([positions[fk.column]]), json.dumps([target_num]),
                                    None))  # fmt: skip
                table_constraints.append((db, "public", fkey, db, "public", name, "FOREIGN KEY",
                                          "NO", "NO", "YES"))  # fmt: skip
                key_usage.append((db, "public", fkey, db, "public", name, fk.column, 1, 1))
                references.append((db, "public", fkey, db, "public", f"{fk.table}_pkey", "NONE",
                                   "NO ACTION", "NO ACTION"))  # fmt: skip
                self.constraint_defs[constraint_oid] = (
                    f"FOREIGN KEY ({quote_ident(fk.column)}) REFERENCES "
                    f"{quote_ident(fk.table)}({quote_ident(fk.table_column)})"
                )
        self._insert("pg_class", classes)
        self._insert("pg_attribute", attributes)
        self._insert("pg_description", descriptions)
        self._insert("pg_constraint", constraints)
        self._insert("pg_index", indexes)
        self._insert("pg_tables", privileges)
        self._insert("pg_stat_user_tables", stats)
        self._insert_named("information_schema.tables", tables)
        self._insert_named("information_schema.columns", columns)
        self._insert("information_schema.table_constraints", table_constraints)
        self._insert("information_schema.key_column_usage", key_usage)
        self._insert("information_schema.referential_constraints", references)


def _class_row(oid: int, name: str, namespace: int, natts: int, kind: str = "r") -> tuple[Any, ...]:
    am = 403 if kind == "i" else 2
    return (oid, name, namespace, 0, 0, OWNER_OID, am, oid, 0, 0, -1.0, 0, 0, int(kind == "r"),
            0, "p", kind, natts, 0, 0, 0, 0, 0, 0, 1, "d", 0, None, None, None)  # fmt: skip

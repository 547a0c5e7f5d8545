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
from posthog_dbapi.pgwire.codec import OID, TYPE_SIZES
from posthog_dbapi.pgwire.pgfunctions import quote_ident, register_functions
from posthog_dbapi.pgwire.pgtypes import PG_TYPES, type_oid

__all__ = ["KIND_TYPES", "CatalogDatabase", "Relation"]

NS_PG_CATALOG, NS_PUBLIC, NS_INFORMATION_SCHEMA = 11, 2200, 13000
PG_CLASS_OID = 1259
FIRST_TABLE_OID = 16384
OWNER_OID = 10

# catalog column kind -> (type OID, information_schema data_type)
KIND_TYPES: dict[str, tuple[int, str]] = {
    "string": (OID.TEXT, "text"),
    "integer": (OID.INT8, "bigint"),
    "number": (OID.FLOAT8, "double precision"),
    "float": (OID.FLOAT8, "double precision"),
    "boolean": (OID.BOOL, "boolean"),
    "datetime": (OID.TIMESTAMPTZ, "timestamp with time zone"),
    "date": (OID.DATE, "date"),
    "uuid": (OID.UUID, "uuid"),
    "json": (OID.JSON, "json"),
    "binary": (OID.BYTEA, "bytea"),
}

_TABLES = {
    "pg_catalog": {
        "pg_namespace": "oid OID, nspname NAME, nspowner OID, nspacl TEXT",
        "pg_class": "oid OID, relname NAME, relnamespace OID, reltype OID, reloftype OID, "
        "relowner OID, relam OID, relfilenode OID, reltablespace OID, relpages INT4, "
        "reltuples FLOAT4, relallvisible INT4, reltoastrelid OID, relhasindex BOOL, "
        "relisshared BOOL, relpersistence CHAR, relkind CHAR, relnatts INT2, relchecks INT2, "
        "relhasrules BOOL, relhastriggers BOOL, relhassubclass BOOL, relrowsecurity BOOL, "
        "relforcerowsecurity BOOL, relispopulated BOOL, relreplident CHAR, relispartition BOOL, "
        "relacl TEXT, reloptions TEXT, relpartbound TEXT",
        "pg_attribute": "attrelid OID, attname NAME, atttypid OID, attstattarget INT4, "
        "attlen INT2, attnum INT2, attndims INT4, attcacheoff INT4, atttypmod INT4, "
        "attbyval BOOL, attstorage CHAR, attalign CHAR, attnotnull BOOL, atthasdef BOOL, "
        "atthasmissing BOOL, attidentity CHAR, attgenerated CHAR, attisdropped BOOL, "
        "attislocal BOOL, attinhcount INT4, attcollation OID, attacl TEXT, attoptions TEXT",
        "pg_type": "oid OID, typname NAME, typnamespace OID, typowner OID, typlen INT2, "
        "typbyval BOOL, typtype CHAR, typcategory CHAR, typispreferred BOOL, typisdefined BOOL, "
        "typdelim CHAR, typrelid OID, typelem OID, typarray OID, typinput TEXT, typoutput TEXT, "
        "typreceive TEXT, typsend TEXT, typalign CHAR, typstorage CHAR, typnotnull BOOL, "
        "typbasetype OID, typtypmod INT4, typndims INT4, typcollation OID, typdefault TEXT",
        "pg_description": "objoid OID, classoid OID, objsubid INT4, description TEXT",
        "pg_constraint": "oid OID, conname NAME, connamespace OID, contype CHAR, "
        "condeferrable BOOL, condeferred BOOL, convalidated BOOL, conrelid OID, contypid OID, "
        "conindid OID, confrelid OID, confupdtype CHAR, confdeltype CHAR, confmatchtype CHAR, "
        "conislocal BOOL, coninhcount INT4, conkey INT2ARRAY, confkey INT2ARRAY, conbin TEXT",
        "pg_enum": "oid OID, enumtypid OID, enumsortorder FLOAT4, enumlabel NAME",
        "pg_attrdef": "oid OID, adrelid OID, adnum INT2, adbin TEXT",
        "pg_index": "indexrelid OID, indrelid OID, indnatts INT2, indnkeyatts INT2, "
        "indisunique BOOL, indisprimary BOOL, indisexclusion BOOL, indimmediate BOOL, "
        "indisclustered BOOL, indisvalid BOOL, indcheckxmin BOOL, indisready BOOL, "
        "indislive BOOL, indisreplident BOOL, indkey INT2ARRAY, indcollation OIDARRAY, "
        "indclass OIDARRAY, indoption INT2ARRAY, indexprs TEXT, indpred TEXT",
        "pg_inherits": "inhrelid OID, inhparent OID, inhseqno INT4",
        "pg_am": "oid OID, amname NAME, amhandler TEXT, amtype CHAR",
        "pg_database": "oid OID, datname NAME, datdba OID, encoding INT4, datcollate NAME, "
        "datctype NAME, datistemplate BOOL, datallowconn BOOL, datacl TEXT",
        "pg_roles": "oid OID, rolname NAME, rolsuper BOOL, rolinherit BOOL, rolcreaterole BOOL, "
        "rolcreatedb BOOL, rolcanlogin BOOL",
        "pg_user": "usename NAME, usesysid OID, usecreatedb BOOL, usesuper BOOL",
        "pg_settings": "name TEXT, setting TEXT, unit TEXT, category TEXT, short_desc TEXT",
        "pg_tables": "schemaname NAME, tablename NAME, tableowner NAME, tablespace NAME, "
        "hasindexes BOOL, hasrules BOOL, hastriggers BOOL, rowsecurity BOOL",
        "pg_views": "schemaname NAME, viewname NAME, viewowner NAME, definition TEXT",
        "pg_matviews": "schemaname NAME, matviewname NAME, matviewowner NAME, "
        "tablespace NAME, hasindexes BOOL, ispopulated BOOL, definition TEXT",
        "pg_stat_user_tables": "relid OID, schemaname NAME, relname NAME, n_live_tup INT8",
        "pg_proc": "oid OID, proname NAME, pronamespace OID, prorettype OID, prokind CHAR",
        "pg_extension": "oid OID, extname NAME, extversion TEXT",
        "pg_collation": "oid OID, collname NAME, collnamespace OID, collowner OID, "
        "collprovider CHAR, collisdeterministic BOOL, collencoding INT4, collcollate TEXT, "
        "collctype TEXT",
        "pg_sequence": "seqrelid OID, seqtypid OID, seqstart INT8, seqincrement INT8, "
        "seqmax INT8, seqmin INT8, seqcache INT8, seqcycle BOOL",
        "pg_tablespace": "oid OID, spcname NAME, spcowner OID, spcacl TEXT, spcoptions TEXT",
        "pg_opclass": "oid OID, opcmethod OID, opcname NAME, opcnamespace OID, opcowner OID, "
        "opcfamily OID, opcintype OID, opcdefault BOOL, opckeytype OID",
    },
    "information_schema": {
        "schemata": "catalog_name TEXT, schema_name TEXT, schema_owner TEXT",
        "tables": "table_catalog TEXT, table_schema TEXT, table_name TEXT, table_type TEXT, "
        "is_insertable_into TEXT, is_typed TEXT",
        "columns": "table_catalog TEXT, table_schema TEXT, table_name TEXT, column_name TEXT, "
        "ordinal_position INT4, column_default TEXT, is_nullable TEXT, data_type TEXT, "
        "character_maximum_length INT4, numeric_precision INT4, numeric_scale INT4, "
        "datetime_precision INT4, udt_catalog TEXT, udt_schema TEXT, udt_name TEXT, "
        "is_identity TEXT, identity_generation TEXT, is_generated TEXT, is_updatable TEXT, "
        "dtd_identifier TEXT",
        "table_constraints": "constraint_catalog TEXT, constraint_schema TEXT, "
        "constraint_name TEXT, table_catalog TEXT, table_schema TEXT, table_name TEXT, "
        "constraint_type TEXT, is_deferrable TEXT, initially_deferred TEXT, enforced TEXT",
        "key_column_usage": "constraint_catalog TEXT, constraint_schema TEXT, "
        "constraint_name TEXT, table_catalog TEXT, table_schema TEXT, table_name TEXT, "
        "column_name TEXT, ordinal_position INT4, position_in_unique_constraint INT4",
        "referential_constraints": "constraint_catalog TEXT, constraint_schema TEXT, "
        "constraint_name TEXT, unique_constraint_catalog TEXT, unique_constraint_schema TEXT, "
        "unique_constraint_name TEXT, match_option TEXT, update_rule TEXT, delete_rule TEXT",
        "constraint_column_usage": "table_catalog TEXT, table_schema TEXT, table_name TEXT, "
        "column_name TEXT, constraint_catalog TEXT, constraint_schema TEXT, "
        "constraint_name TEXT",
        "views": "table_catalog TEXT, table_schema TEXT, table_name TEXT, view_definition TEXT",
    },
}


def catalog_column_type(schema: str, table: str, column: str) -> int | None:
    """The type OID of a catalog column (``pg_class.relname`` is ``name``)."""
    schemas = [schema] if schema else ["pg_catalog"]
    for candidate in schemas:
        columns = _COLUMN_TYPES.get((candidate, table))
        if columns is not None:
            return columns.get(column)
    return None


# PostgreSQL's own OIDs for the catalog relations (clients compare classoid with 'pg_x'::regclass).
_CATALOG_OIDS = {
    "pg_type": 1247, "pg_attribute": 1249, "pg_proc": 1255, "pg_class": PG_CLASS_OID,
    "pg_database": 1262, "pg_constraint": 2606, "pg_description": 2609, "pg_index": 2610,
    "pg_namespace": 2615, "pg_am": 2601, "pg_attrdef": 2604, "pg_tablespace": 1213,
}  # fmt: skip

Relation = tuple[int, str, dict[str, dict[str, Any]]]
"""(oid, table name, fields as get_fields reports them)."""


_COLUMN_TYPES: dict[tuple[str, str], dict[str, int]] = {
    (schema, name): {
        column.split()[0]: type_oid(column.split()[1].replace("ARRAY", "[]")) or OID.TEXT
        for column in columns.split(", ")
    }
    for schema, tables in _TABLES.items()
    for name, columns in tables.items()
}


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
        for schema in _TABLES:
            self.db.execute(f"ATTACH DATABASE ':memory:' AS {schema}")
        for schema, tables in _TABLES.items():
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

    def _fill(self, relations: list[Relation]) -> None:
        db, user = self.database, self.user
        schemas = [(NS_PG_CATALOG, "pg_catalog"), (NS_PUBLIC, "public"),
                   (NS_INFORMATION_SCHEMA, "information_schema")]  # fmt: skip
        self._insert("pg_namespace", [(oid, name, OWNER_OID, None) for oid, name in schemas])
        self._insert("schemata", [(db, name, user) for _, name in schemas])
        self._insert("pg_database", [(1, db, OWNER_OID, 6, "C", "C", 0, 1, None)])
        self._insert("pg_roles", [(OWNER_OID, user, 0, 1, 0, 0, 1)])
        self._insert("pg_user", [(user, OWNER_OID, 0, 0)])
        self._insert("pg_am", [(2, "heap", "heap_tableam_handler", "t"),
                               (403, "btree", "bthandler", "i")])  # fmt: skip
        self._insert("pg_settings", [(k, v, None, None, None) for k, v in self.settings.items()])
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
        columns: Rows = []
        tables: Rows = []
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
            tables.append((db, "public", name, "BASE TABLE",
                           "YES" if resource.route.can_create else "NO", "NO"))  # fmt: skip
            privileges.append(("public", name, user, None, 1, 0, 0, 0))
            stats.append((oid, "public", name, None))
            if resource.description:
                descriptions.append((oid, PG_CLASS_OID, 0, resource.description))
                self.comments[(oid, 0)] = resource.description
            positions: dict[str, int] = {}
            for attnum, (column, info) in enumerate(fields.items(), start=1):
                positions[column] = attnum
                type_oid, data_type = KIND_TYPES.get(str(info.get("type")), KIND_TYPES["string"])
                not_null = column == resource.primary_key or not info.get("nullable", True)
                attributes.append((oid, column, type_oid, -1, TYPE_SIZES.get(type_oid, -1),
                                   attnum, 0, -1, -1, 0, "p", "i", int(not_null), 0, 0, "", "",
                                   0, 1, 0, 0, None, None))  # fmt: skip
                columns.append((db, "public", name, column, attnum, None,
                                "NO" if not_null else "YES", data_type, None, None, None, None,
                                db, "pg_catalog", PG_TYPES[type_oid].name, "NO", None, "NEVER",
                                "NO" if info.get("read_only") else "YES", str(attnum)))  # fmt: skip
                comment = str(info.get("description") or "")
                if comment:
                    descriptions.append((oid, PG_CLASS_OID, attnum, comment))
                    self.comments[(oid, attnum)] = comment
            if resource.primary_key in positions:
                constraint_oid += 1
                pkey = f"{name}_pkey"
                key = json.dumps([positions[resource.primary_key]])
                constraints.append((constraint_oid, pkey, NS_PUBLIC, "p", 0, 0, 1, oid, 0,
                                    constraint_oid + 10000, 0, " ", " ", " ", 1, 0, key, None,
                                    None))  # fmt: skip
                table_constraints.append((db, "public", pkey, db, "public", name, "PRIMARY KEY",
                                          "NO", "NO", "YES"))  # fmt: skip
                key_usage.append((db, "public", pkey, db, "public", name, resource.primary_key,
                                  1, None))  # fmt: skip
                # The primary key's unique index, as pg_index-based clients (pgjdbc, psqlODBC,
                # SQLAlchemy) find primary keys and statistics through it.
                index_oid = constraint_oid + 10000
                classes.append(_class_row(index_oid, pkey, NS_PUBLIC, 1, kind="i"))
                indexes.append((index_oid, oid, 1, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0,
                                key, "[0]", "[1978]", "[0]", None, None))  # fmt: skip
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
                constraints.append((constraint_oid, fkey, NS_PUBLIC, "f", 0, 0, 1, oid, 0, 0,
                                    target[0], "a", "a", "s", 1, 0,
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
        self._insert("information_schema.tables", tables)
        self._insert("information_schema.columns", columns)
        self._insert("information_schema.table_constraints", table_constraints)
        self._insert("information_schema.key_column_usage", key_usage)
        self._insert("information_schema.referential_constraints", references)


def _class_row(oid: int, name: str, namespace: int, natts: int, kind: str = "r") -> tuple[Any, ...]:
    am = 403 if kind == "i" else 2
    return (oid, name, namespace, 0, 0, OWNER_OID, am, oid, 0, 0, -1.0, 0, 0, int(kind == "r"),
            0, "p", kind, natts, 0, 0, 0, 0, 0, 0, 1, "d", 0, None, None, None)  # fmt: skip

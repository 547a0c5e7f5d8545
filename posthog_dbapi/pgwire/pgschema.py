"""The emulated catalog's relations: each ``pg_catalog`` and ``information_schema`` table with the
columns clients select, as SQLite DDL column lists whose declared types are PostgreSQL's type
names (``OID``, ``NAME``, ``INT2ARRAY`` ...), so a result column's type OID follows from its
declaration. ``catalog_column_type`` answers a column's type for parameter inference.
"""

from __future__ import annotations

from posthog_dbapi.pgwire.codec import OID
from posthog_dbapi.pgwire.pgtypes import type_oid

__all__ = ["BOOL_COLUMNS", "TABLES", "catalog_column_type", "column_names"]

TABLES: dict[str, dict[str, str]] = {
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
        "attislocal BOOL, attinhcount INT4, attcollation OID, attacl TEXT, attoptions TEXT, "
        "attcompression CHAR",
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
        "indislive BOOL, indisreplident BOOL, indkey INT2VECTOR, indcollation OIDVECTOR, "
        "indclass OIDVECTOR, indoption INT2VECTOR, indexprs TEXT, indpred TEXT",
        "pg_inherits": "inhrelid OID, inhparent OID, inhseqno INT4, inhdetachpending BOOL",
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
        "pg_policy": "oid OID, polname NAME, polrelid OID, polcmd CHAR, polpermissive BOOL, "
        "polroles OIDARRAY, polqual TEXT, polwithcheck TEXT",
        "pg_statistic_ext": "oid OID, stxrelid OID, stxname NAME, stxnamespace OID, "
        "stxowner OID, stxstattarget INT4, stxkeys INT2VECTOR, stxkind CHARARRAY",
        "pg_publication": "oid OID, pubname NAME, pubowner OID, puballtables BOOL, "
        "pubinsert BOOL, pubupdate BOOL, pubdelete BOOL, pubtruncate BOOL, pubviaroot BOOL",
        "pg_publication_rel": "oid OID, prpubid OID, prrelid OID, prqual TEXT, prattrs TEXT",
        "pg_publication_namespace": "oid OID, pnpubid OID, pnnspid OID",
        "pg_trigger": "oid OID, tgrelid OID, tgparentid OID, tgname NAME, tgfoid OID, "
        "tgenabled CHAR, tgisinternal BOOL, tgconstraint OID",
        "pg_rewrite": "oid OID, rulename NAME, ev_class OID, ev_type CHAR, ev_enabled CHAR, "
        "is_instead BOOL",
        "pg_partitioned_table": "partrelid OID, partstrat CHAR, partnatts INT2",
        "pg_tablespace": "oid OID, spcname NAME, spcowner OID, spcacl TEXT, spcoptions TEXT",
        "pg_opclass": "oid OID, opcmethod OID, opcname NAME, opcnamespace OID, opcowner OID, "
        "opcfamily OID, opcintype OID, opcdefault BOOL, opckeytype OID",
    },
    "information_schema": {
        # The columns PostgreSQL's information_schema (the SQL standard's) has, in its order.
        "schemata": "catalog_name TEXT, schema_name TEXT, schema_owner TEXT, "
        "default_character_set_catalog TEXT, default_character_set_schema TEXT, "
        "default_character_set_name TEXT, sql_path TEXT",
        "tables": "table_catalog TEXT, table_schema TEXT, table_name TEXT, table_type TEXT, "
        "self_referencing_column_name TEXT, reference_generation TEXT, "
        "user_defined_type_catalog TEXT, user_defined_type_schema TEXT, "
        "user_defined_type_name TEXT, is_insertable_into TEXT, is_typed TEXT, "
        "commit_action TEXT",
        "columns": "table_catalog TEXT, table_schema TEXT, table_name TEXT, column_name TEXT, "
        "ordinal_position INT4, column_default TEXT, is_nullable TEXT, data_type TEXT, "
        "character_maximum_length INT4, character_octet_length INT4, numeric_precision INT4, "
        "numeric_precision_radix INT4, numeric_scale INT4, datetime_precision INT4, "
        "interval_type TEXT, interval_precision INT4, character_set_catalog TEXT, "
        "character_set_schema TEXT, character_set_name TEXT, collation_catalog TEXT, "
        "collation_schema TEXT, collation_name TEXT, domain_catalog TEXT, domain_schema TEXT, "
        "domain_name TEXT, udt_catalog TEXT, udt_schema TEXT, udt_name TEXT, "
        "scope_catalog TEXT, scope_schema TEXT, scope_name TEXT, maximum_cardinality INT4, "
        "dtd_identifier TEXT, is_self_referencing TEXT, is_identity TEXT, "
        "identity_generation TEXT, identity_start TEXT, identity_increment TEXT, "
        "identity_maximum TEXT, identity_minimum TEXT, identity_cycle TEXT, "
        "is_generated TEXT, generation_expression TEXT, is_updatable TEXT",
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


_COLUMN_TYPES: dict[tuple[str, str], dict[str, int]] = {
    (schema, name): {
        column.split()[0]: type_oid(column.split()[1].replace("ARRAY", "[]")) or OID.TEXT
        for column in columns.split(", ")
    }
    for schema, tables in TABLES.items()
    for name, columns in tables.items()
}


def catalog_column_type(schema: str, table: str, column: str) -> int | None:
    """The type OID of a catalog column (``pg_class.relname`` is ``name``)."""
    schemas = [schema] if schema else ["pg_catalog"]
    for candidate in schemas:
        columns = _COLUMN_TYPES.get((candidate, table))
        if columns is not None:
            return columns.get(column)
    return None


BOOL_COLUMNS = frozenset(
    column
    for columns in _COLUMN_TYPES.values()
    for column, oid in columns.items()
    if oid == OID.BOOL
)
"""Catalog column names that are boolean wherever they appear (SQLite stores 0/1)."""


def column_names(schema: str, table: str) -> list[str]:
    """The columns of a catalog relation, in order."""
    return [column.split()[0] for column in TABLES[schema][table].split(", ")]

"""The SQLAlchemy dialect ``posthog://``: SQLite's compiler over ``posthog_dbapi``'s DB-API.

Statements compile to SQLite SQL, which the DB-API runs (in SQLite over virtual tables, or pushed
whole into HogQL). Reflection answers from the DB-API connection's one table listing
(``Connection.tables()``: the catalog, ``get_fields`` and PostHog's ``DatabaseSchemaQuery``),
never by HTTP of its own. Superset and other BI tools call the inspector once per table, so the
listing is cached per dialect instance (one engine): reflecting every table of every schema costs
at most one ``/api/schema/`` fetch and one ``DatabaseSchemaQuery``. Virtual tables, traversers
and lazy joins of PostHog's tables are not columns; the table comment names them.
"""

from __future__ import annotations

import threading
from types import ModuleType
from typing import Any

from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import NoSuchTableError

from posthog_dbapi.catalog.spec import ColumnType
from posthog_dbapi.catalog.tables import TableInfo
from posthog_dbapi.dialect.types import sqlalchemy_type
from posthog_dbapi.dialect.url import connect_args_from_url

__all__ = ["DEFAULT_SCHEMA", "PostHogDialect"]

DEFAULT_SCHEMA = "main"


def _dbapi_connection(connection: Any) -> Any:
    """The ``posthog_dbapi`` Connection behind a SQLAlchemy connection (1.4 and 2.x)."""
    fairy = getattr(connection, "connection", connection)
    for attribute in ("dbapi_connection", "connection"):
        inner = getattr(fairy, attribute, None)
        if inner is not None and hasattr(inner, "get_fields"):
            return inner
    if hasattr(fairy, "get_fields"):
        return fairy
    raise TypeError(f"not a posthog_dbapi connection: {type(fairy).__name__}")


class PostHogDialect(SQLiteDialect):
    """``posthog://:<key>@<host>[:port]/<project id>?<options>``."""

    name = "posthog"
    driver = "apsw"
    supports_statement_cache = True
    # The DB-API returns datetimes and booleans as Python objects; SQLite's string-parsing column
    # types would try to parse them again.
    colspecs: dict[Any, Any] = {}  # noqa: RUF012 - SQLAlchemy reads it as a class attribute
    supports_sane_rowcount = True
    supports_sane_multi_rowcount = False
    supports_native_boolean = True

    @classmethod
    def import_dbapi(cls) -> ModuleType:
        from posthog_dbapi import dbapi

        return dbapi

    @classmethod
    def dbapi(cls) -> ModuleType:  # type: ignore[override]  # SQLAlchemy 1.4's name
        return cls.import_dbapi()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._reflection_lock = threading.Lock()
        self._tables: dict[tuple[str | None, str], TableInfo] | None = None

    def create_connect_args(self, url: URL) -> tuple[list[Any], dict[str, Any]]:
        return [], connect_args_from_url(url)

    # PostHog has no transactions; SQLAlchemy's pool "resets" connections with a rollback.
    def do_rollback(self, dbapi_connection: Any) -> None:
        return None

    def do_commit(self, dbapi_connection: Any) -> None:
        return None

    def do_ping(self, dbapi_connection: Any) -> Any:
        dbapi_connection.ping()
        return True

    def get_isolation_level(self, dbapi_connection: Any) -> Any:
        return "AUTOCOMMIT"

    def set_isolation_level(self, dbapi_connection: Any, level: str) -> None:
        return None

    def _get_server_version_info(self, connection: Any) -> tuple[int, ...]:
        return ()

    def _get_default_schema_name(self, connection: Any) -> Any:
        return DEFAULT_SCHEMA

    # --- reflection -------------------------------------------------------------------------
    # Everything comes from the connection's one listing (`Connection.tables()`), read once per
    # engine: /api/schema/ and DatabaseSchemaQuery once each cold, nothing warm. Schema "main"
    # (SQLite's default, which SQLAlchemy passes as None) holds the REST resources and PostHog's
    # own tables and views; "stripe", "system", ... hold the HogQL tables named so.

    def _listing(self, connection: Any) -> dict[tuple[str | None, str], TableInfo]:
        with self._reflection_lock:
            if self._tables is None:
                self._tables = {
                    (t.schema, t.name): t for t in _dbapi_connection(connection).tables()
                }
            return self._tables

    def _table(self, connection: Any, table_name: str, schema: str | None) -> TableInfo:
        found = self._listing(connection).get((_schema(schema), table_name))
        if found is None:
            raise NoSuchTableError(f"{schema}.{table_name}" if schema else table_name)
        return found

    def get_schema_names(self, connection: Any, **kw: Any) -> Any:
        names = {schema for schema, _ in self._listing(connection) if schema is not None}
        return [DEFAULT_SCHEMA, *sorted(names)]

    # SQLAlchemy 1.4 and 2.x differ in these signatures; **kw takes what either passes.
    def get_table_names(  # type: ignore[override]
        self, connection: Any, schema: str | None = None, **kw: Any
    ) -> Any:
        wanted = _schema(schema)
        return sorted(
            t.name for t in self._listing(connection).values()
            if t.schema == wanted and not t.is_view
        )  # fmt: skip

    def get_view_names(  # type: ignore[override]
        self, connection: Any, schema: str | None = None, **kw: Any
    ) -> Any:
        wanted = _schema(schema)
        return sorted(
            t.name for t in self._listing(connection).values() if t.schema == wanted and t.is_view
        )

    def get_temp_table_names(self, connection: Any, **kw: Any) -> Any:  # type: ignore[override]
        return []

    def get_temp_view_names(self, connection: Any, **kw: Any) -> Any:  # type: ignore[override]
        return []

    def has_table(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        return (_schema(schema), table_name) in self._listing(connection)

    def get_columns(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        table = self._table(connection, table_name, schema)
        primary_key = table.primary_key[:1]
        return [
            {
                "name": column.name,
                "type": sqlalchemy_type(
                    {"type": column.type.value, "max_length": column.max_length}
                ),
                "nullable": column.nullable and column.name not in primary_key,
                "default": None,
                # PostHog assigns integer ids; SQLAlchemy then reads the new id from lastrowid.
                "autoincrement": column.name in primary_key
                and table.writable
                and column.type is ColumnType.INTEGER
                and column.read_only,
                "comment": column.comment or None,
            }
            for column in table.columns
        ]

    def get_pk_constraint(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        table = self._table(connection, table_name, schema)
        return {"constrained_columns": list(table.primary_key), "name": None}

    def get_foreign_keys(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        table = self._table(connection, table_name, schema)
        keys: list[dict[str, Any]] = []
        for fk in table.foreign_keys:
            referred_schema, dot, referred = fk.table.rpartition(".")
            keys.append(
                {
                    "name": None,
                    "constrained_columns": [fk.column],
                    "referred_schema": referred_schema if dot else None,
                    "referred_table": referred if dot else fk.table,
                    "referred_columns": [fk.table_column],
                    "options": {},
                }
            )
        return keys

    def get_indexes(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        self._table(connection, table_name, schema)
        return []

    def get_unique_constraints(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        self._table(connection, table_name, schema)
        return []

    def get_check_constraints(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        self._table(connection, table_name, schema)
        return []

    def get_table_comment(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        return {"text": self._table(connection, table_name, schema).comment or None}

    def get_view_definition(
        self, connection: Any, view_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        # PostHog's saved view is HogQL, not SQL this dialect could run; not offered.
        raise NoSuchTableError(view_name)


def _schema(schema: str | None) -> str | None:
    """The listing's schema for SQLAlchemy's: None and "main" are the default schema."""
    return None if schema in (None, DEFAULT_SCHEMA) else schema

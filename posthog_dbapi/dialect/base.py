"""The SQLAlchemy dialect ``posthog://``: SQLite's compiler over ``posthog_dbapi``'s DB-API.

Statements compile to SQLite SQL, which the DB-API runs (in SQLite over virtual tables, or pushed
whole into HogQL). Reflection answers from the catalog and from ``get_fields`` through the DB-API
connection, never by HTTP of its own. Superset and other BI tools call the inspector once per
table, so the answers are cached per dialect instance (one engine): reflecting every table costs
at most one schema fetch.
"""

from __future__ import annotations

import threading
from types import ModuleType
from typing import Any

from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import NoSuchTableError

from posthog_dbapi.catalog import RESOURCES
from posthog_dbapi.dialect.types import sqlalchemy_type
from posthog_dbapi.dialect.url import connect_args_from_url

__all__ = ["PostHogDialect"]


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
        self._tables: list[str] | None = None
        self._fields: dict[str, dict[str, dict[str, Any]]] = {}

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
        return "main"

    # --- reflection -------------------------------------------------------------------------

    def _table_names(self, connection: Any) -> Any:
        with self._reflection_lock:
            if self._tables is None:
                self._tables = list(_dbapi_connection(connection).table_names())
            return list(self._tables)

    def _table_fields(self, connection: Any, table_name: str) -> dict[str, dict[str, Any]]:
        if table_name not in self._table_names(connection):
            raise NoSuchTableError(table_name)
        with self._reflection_lock:
            fields = self._fields.get(table_name)
            if fields is None:
                fields = _dbapi_connection(connection).get_fields(table_name)
                self._fields[table_name] = fields
            return fields

    def get_schema_names(self, connection: Any, **kw: Any) -> Any:
        return ["main"]

    # SQLAlchemy 1.4 and 2.x differ in these signatures; **kw takes what either passes.
    def get_table_names(  # type: ignore[override]
        self, connection: Any, schema: str | None = None, **kw: Any
    ) -> Any:
        return self._table_names(connection)

    def get_view_names(  # type: ignore[override]
        self, connection: Any, schema: str | None = None, **kw: Any
    ) -> Any:
        return []

    def get_temp_table_names(self, connection: Any, **kw: Any) -> Any:  # type: ignore[override]
        return []

    def get_temp_view_names(self, connection: Any, **kw: Any) -> Any:  # type: ignore[override]
        return []

    def has_table(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        return table_name in self._table_names(connection)

    def get_columns(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        fields = self._table_fields(connection, table_name)
        primary_key = RESOURCES[table_name].primary_key
        return [
            {
                "name": name,
                "type": sqlalchemy_type(info),
                "nullable": bool(info.get("nullable", True)) and name != primary_key,
                "default": None,
                # PostHog assigns integer ids; SQLAlchemy then reads the new id from lastrowid.
                "autoincrement": name == primary_key
                and info.get("type") == "integer"
                and bool(info.get("read_only")),
                "comment": info.get("description") or None,
            }
            for name, info in fields.items()
        ]

    def get_pk_constraint(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        self._table_fields(connection, table_name)
        return {"constrained_columns": [RESOURCES[table_name].primary_key], "name": None}

    def get_foreign_keys(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        self._table_fields(connection, table_name)
        return [
            {
                "name": None,
                "constrained_columns": [fk.column],
                "referred_schema": None,
                "referred_table": fk.table,
                "referred_columns": [fk.table_column],
                "options": {},
            }
            for fk in RESOURCES[table_name].foreign_keys
        ]

    def get_indexes(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        self._table_fields(connection, table_name)
        return []

    def get_unique_constraints(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        self._table_fields(connection, table_name)
        return []

    def get_check_constraints(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        self._table_fields(connection, table_name)
        return []

    def get_table_comment(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        self._table_fields(connection, table_name)
        return {"text": RESOURCES[table_name].description or None}

    def get_view_definition(
        self, connection: Any, view_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        raise NoSuchTableError(view_name)

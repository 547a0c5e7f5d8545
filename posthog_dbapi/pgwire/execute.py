"""Runs one client's statements: PostHog tables on its DB-API connection, the rest on its catalog.

``Backend`` owns the client's ``posthog_dbapi`` connection and (built on first use) its
``CatalogDatabase``. ``Backend.run(translation, params)`` returns a ``Result``: the columns with
their PostgreSQL type OIDs and an iterator of rows that pulls from the DB-API cursor as the
client fetches, so a portal with a row limit streams.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import apsw

from posthog_dbapi.catalog.spec import ColumnType
from posthog_dbapi.catalog.tables import TableInfo
from posthog_dbapi.dbapi import Connection
from posthog_dbapi.dbapi.errors import translate as translate_error
from posthog_dbapi.dbapi.sandbox import Sandbox
from posthog_dbapi.exceptions import NotSupportedError
from posthog_dbapi.pgwire.codec import OID
from posthog_dbapi.pgwire.pgcatalog import FIRST_TABLE_OID, CatalogDatabase, catalog_column_type
from posthog_dbapi.pgwire.translate import CATALOG_SCHEMAS, Translation, Translator

__all__ = ["Backend", "Result"]

_DECLTYPES = {
    "OID": OID.OID, "NAME": OID.NAME, "BOOL": OID.BOOL, "INT2": OID.INT2, "INT4": OID.INT4,
    "INT8": OID.INT8, "CHAR": OID.CHAR, "TEXT": OID.TEXT, "FLOAT4": OID.FLOAT4,
    "FLOAT8": OID.FLOAT8, "INT2ARRAY": OID.INT2_ARRAY, "OIDARRAY": OID.OID_ARRAY,
    "TEXTARRAY": OID.TEXT_ARRAY, "CHARARRAY": OID.CHAR_ARRAY, "INT2VECTOR": OID.INT2VECTOR,
    "OIDVECTOR": OID.OIDVECTOR,
}  # fmt: skip
_HINTS = {"bool": OID.BOOL, "timestamp": OID.TIMESTAMP, "date": OID.DATE}
FETCH_BATCH = 200


def _value_oid(value: Any) -> int:
    if isinstance(value, bool):
        return OID.BOOL
    if isinstance(value, int):
        return OID.INT8
    if isinstance(value, float):
        return OID.FLOAT8
    if isinstance(value, dt.datetime):
        return OID.TIMESTAMPTZ
    if isinstance(value, dt.date):
        return OID.DATE
    if isinstance(value, bytes):
        return OID.BYTEA
    return OID.TEXT


# The DB-API's type codes (the column model's, the same on the SQLite and HogQL routes), and
# BLOB's, which SQLite can compute but no column kind declares.
_CODES: dict[str, int] = {kind.code: kind.types.pg_oid for kind in ColumnType} | {
    "binary": OID.BYTEA
}


def _code_oid(code: Any, value: Any) -> int:
    oid = _CODES.get(str(code).lower()) if code else None
    if oid is None or (oid == OID.TEXT and value is not None and not isinstance(value, str)):
        return _value_oid(value) if value is not None else OID.TEXT
    return oid


@dataclass
class Result:
    """Rows of one statement (``columns`` is ``None`` for a statement that returns none)."""

    columns: list[tuple[str, int]] | None
    rows: Iterator[Sequence[Any]] = field(default_factory=lambda: iter(()))
    tag: Callable[[int], str] = field(default=lambda n: f"SELECT {n}")
    close: Callable[[], None] = field(default=lambda: None)


def _with_hints(
    columns: list[tuple[str, int]], hints: list[str | None] | None, first: Sequence[Any] | None
) -> list[tuple[str, int]]:
    if hints is None or len(hints) != len(columns):
        return columns
    out = []
    for index, ((name, oid), hint) in enumerate(zip(columns, hints)):
        value = first[index] if first is not None else None
        if hint == "bool" and oid in (OID.INT8, OID.TEXT) and isinstance(value, (int, type(None))):
            oid = OID.BOOL
        elif hint in ("timestamp", "date") and oid == OID.TEXT:
            oid = _HINTS[hint]
        elif hint == "array" and oid == OID.TEXT:
            oid = OID.TEXT_ARRAY
        out.append((name, oid))
    return out


class Backend:
    """A client's DB-API connection and catalog database."""

    def __init__(
        self,
        connection: Connection,
        *,
        user: str,
        database: str,
        version: str,
        settings: dict[str, str],
        now: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.connection = connection
        self.user = user
        self.database = database
        self.settings = settings
        self.translator = Translator(
            self._table_names, user=user, database=database, version=version, now=now,
            column_type=self._column_type, fields=self._fields, has_table=self._has_table,
        )  # fmt: skip
        self._tables: dict[str, TableInfo] | None = None
        self._catalog: CatalogDatabase | None = None
        self._catalog_sandbox: Sandbox | None = None

    @property
    def tables(self) -> dict[str, TableInfo]:
        """The connection's tables by SQL name, listed the first time a statement needs them."""
        if self._tables is None:
            self._tables = {table.sql_name: table for table in self.connection.tables()}
        return self._tables

    def _table_names(self) -> list[str]:
        return list(self.tables)

    def _has_table(self, key: str) -> bool:
        # The catalog's tables (events, feature_flags...) are known without a request; only
        # another name (stripe.customer) costs the listing, which the connection needs anyway.
        return self.connection.is_table(key) or key in self.tables

    def _columns(self, key: str) -> list[tuple[str, ColumnType]] | None:
        """The columns of table ``key`` and their kinds, ``None`` for no such table. A catalog
        table's come from its fields (``/api/schema/``), so a client that reads only those
        tables never costs the project's ``DatabaseSchemaQuery``."""
        if self._tables is None and self.connection.is_resource(key):
            fields = self.connection.get_fields(key)
            return [(name, ColumnType.of(info.get("type"))) for name, info in fields.items()]
        found = self.tables.get(key)
        return None if found is None else [(c.name, c.type) for c in found.columns]

    def _fields(self, schema: str, table: str) -> list[str]:
        columns = self._columns(self.translator.table_key(schema, table))
        return [name for name, _ in columns or []]

    @property
    def catalog(self) -> CatalogDatabase:
        if self._catalog is None:
            relations = [
                (FIRST_TABLE_OID + i, table) for i, table in enumerate(self.tables.values())
            ]
            self._catalog = CatalogDatabase(
                relations, user=self.user, database=self.database, settings=self.settings
            )
            # Client SQL runs here too (any SELECT naming no PostHog table): same guard.
            self._catalog_sandbox = Sandbox(self._catalog.db, lambda _name: True, lambda _id: None)
        return self._catalog

    def interrupt(self) -> None:
        """Stop the running statement, on either database, from any thread."""
        self.connection.interrupt()
        if self._catalog_sandbox is not None:
            self._catalog_sandbox.stop("cancelled")

    def close(self) -> None:
        if self._catalog is not None:
            self._catalog.close()
        self.connection.close()

    def translate(self, sql: str, literals: Mapping[int, Any] | None = None) -> Translation:
        return self.translator.translate(sql, literals)

    def _column_type(self, schema: str, table: str, column: str) -> int | None:
        """A column's type OID, for parameter types."""
        if schema in CATALOG_SCHEMAS or (not schema and table.startswith("pg_")):
            # Not the connection's listing: a catalog query must not cost a schema request.
            return catalog_column_type(schema, table, column)
        columns = self._columns(self.translator.table_key(schema, table))
        if columns is None:
            return catalog_column_type(schema, table, column)
        kind = dict(columns).get(column)
        return None if kind is None else kind.types.pg_oid

    def run(
        self, translation: Translation, params: Sequence[Any], *, describe_only: bool = False
    ) -> Result:
        bindings = tuple(params[i] if i < len(params) else None for i in translation.param_order)
        sql = translation.sql
        if describe_only and translation.command == "SELECT":
            sql = f"SELECT * FROM ({sql}) LIMIT 0"
        if translation.target == "catalog":
            if translation.command != "SELECT":
                raise NotSupportedError(
                    "pg_catalog and information_schema are read-only.",
                    suggestion="They describe the PostHog tables; change those instead.",
                )
            return self._run_catalog(translation, sql, bindings)
        return self._run_posthog(translation, sql, bindings)

    def _run_posthog(self, translation: Translation, sql: str, bindings: tuple[Any, ...]) -> Result:
        cursor = self.connection.cursor()
        cursor.execute(sql, bindings)
        if cursor.description is None:
            count = max(cursor.rowcount, 0)
            verb = translation.command
            tag = f"INSERT 0 {count}" if verb == "INSERT" else f"{verb} {count}"
            cursor.close()
            return Result(None, tag=lambda _n: tag)
        first = cursor.fetchmany(1)
        sample = first[0] if first else None
        columns = [
            (str(d[0]), _code_oid(d[1], sample[i] if sample is not None else None))
            for i, d in enumerate(cursor.description)
        ]
        columns = _with_hints(columns, translation.hints, first[0] if first else None)
        columns = self._with_sources(columns, translation.sources)

        def rows() -> Iterator[Sequence[Any]]:
            yield from first
            while True:
                batch = cursor.fetchmany(FETCH_BATCH)
                if not batch:
                    return
                yield from batch

        return Result(columns, rows(), close=cursor.close)

    def _with_sources(
        self, columns: list[tuple[str, int]], sources: list[tuple[str, str | None]] | None
    ) -> list[tuple[str, int]]:
        """Catalog types for columns read unchanged from a table (HogQL reports text)."""
        if not sources:
            return columns
        declared: list[int | None] = []
        for table, column in sources:
            found = self._columns(table) if table else None
            if found is None:
                declared.append(None)
            elif column is None:
                declared.extend(kind.types.pg_oid for _, kind in found)
            else:
                kind = dict(found).get(column)
                declared.append(None if kind is None else kind.types.pg_oid)
        if len(declared) != len(columns):
            return columns
        out = []
        for (name, oid), wanted in zip(columns, declared):
            if wanted is not None and oid in (OID.TEXT, OID.INT8, OID.FLOAT8):
                oid = wanted
            out.append((name, oid))
        return out

    def _run_catalog(self, translation: Translation, sql: str, bindings: tuple[Any, ...]) -> Result:
        cursor = self.catalog.cursor()
        described: list[tuple[Any, ...]] = []

        def trace(cur: Any, _sql: str, _bindings: Any) -> bool:
            try:
                described[:] = list(cur.description_full)
            except apsw.ExecutionCompleteError:
                pass
            return True

        cursor.exec_trace = trace
        sandbox = self._catalog_sandbox
        assert sandbox is not None
        timeout = self.connection.statement_timeout
        start = sandbox.begin(timeout, timeout)
        try:
            iterator = iter(cursor.execute(sql, bindings))
            first = next(iterator, None)
        except Exception as exc:
            raise (sandbox.error_for(exc) or translate_error(exc)) from exc
        finally:
            remaining = sandbox.end(start, timeout)
        columns = []
        for index, (name, decltype, *_rest) in enumerate(described):
            oid = _DECLTYPES.get((decltype or "").upper())
            if oid is None:
                oid = _value_oid(first[index]) if first is not None else OID.TEXT
            columns.append((str(name), oid))
        columns = _with_hints(columns, translation.hints, first)
        rows: Iterator[Sequence[Any]] = (
            itertools.chain([first], _guarded(sandbox, iterator, remaining, timeout))
            if first is not None
            else iter(())
        )
        return Result(columns, rows, close=cursor.close)


def _guarded(
    sandbox: Sandbox, rows: Iterator[Any], remaining: float | None, timeout: float | None
) -> Iterator[Any]:
    """The catalog's rows, each fetched under what is left of the statement's timeout."""
    while True:
        start = sandbox.begin(remaining, timeout)
        try:
            row = next(rows, None)
        except Exception as exc:
            raise (sandbox.error_for(exc) or translate_error(exc)) from exc
        finally:
            remaining = sandbox.end(start, remaining)
        if row is None:
            return
        yield row

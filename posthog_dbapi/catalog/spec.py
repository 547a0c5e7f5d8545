"""The shapes of the catalog: a resource (table) spec, its columns, types and foreign keys.

These are plain frozen dataclasses with no behaviour beyond lookups, so every layer above the
catalog (adapters, SQL, the dialect) can read them without knowing where the facts came from.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from posthog_dbapi.driver.routes import ResourceRoute

__all__ = [
    "HOGQL_FIELD_TYPES",
    "Column",
    "ColumnType",
    "ForeignKey",
    "KindTypes",
    "Resource",
    "type_code_for",
]


@dataclass(frozen=True)
class KindTypes:
    """How one column kind is typed in each language the package speaks (the one table to
    extend when a kind is added: every map from a kind to a type is derived from it)."""

    code: str
    """The PEP 249 type code ``cursor.description`` reports (``posthog_dbapi.types`` groups the
    codes into STRING, NUMBER, DATETIME)."""
    field: str
    """The name of the ``shillelagh.fields`` class the adapters declare the column with (the
    catalog imports no shillelagh; ``adapters.values.field_for`` resolves the name)."""
    sqlite: str
    """The declared type of the SQLite (virtual) table column."""
    sqlalchemy: str
    """The name of the ``sqlalchemy.types`` class the dialect reflects (the catalog imports no
    SQLAlchemy; the dialect resolves the name)."""
    pg_oid: int
    """The PostgreSQL type OID the ``serve-pg`` front reports."""
    pg_type: str
    """The PostgreSQL type as ``information_schema.columns.data_type`` spells it."""
    hogql: str
    """PostHog's serialized HogQL field type (``DatabaseSchemaQuery``)."""
    value_kind: str
    """The value kind the pushdown translator reasons with: str, int, float, dt, uuid, json."""
    sqlalchemy_length: int | None = None


class ColumnType(enum.Enum):
    """The kind of a column: the one vocabulary every layer types columns with.

    Its value is the seed spec's field-info ``type`` (JSON values as the API returns them, not
    SQLite affinities); ``types`` carries its SQLite, SQLAlchemy, PostgreSQL and HogQL types."""

    STRING = "string"
    INTEGER = "integer"
    FLOAT = "number"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    DATE = "date"
    UUID = "uuid"
    JSON = "json"
    """An object, an array, or a field PostHog leaves untyped."""

    @property
    def types(self) -> KindTypes:
        return _KIND_TYPES[self]

    @property
    def value_kind(self) -> str:
        return _KIND_TYPES[self].value_kind

    @property
    def code(self) -> str:
        """The PEP 249 type code of a column of this kind."""
        return _KIND_TYPES[self].code

    @classmethod
    def of(cls, type_name: object) -> ColumnType:
        """The kind named by a field info's ``type`` (anything unknown is a string)."""
        try:
            return cls(str(type_name))
        except ValueError:
            return cls.STRING


# PostgreSQL's OIDs (pg_type.dat) of the types used here.
_PG_TEXT, _PG_INT8, _PG_FLOAT8, _PG_BOOL, _PG_TIMESTAMPTZ, _PG_DATE, _PG_UUID, _PG_JSON = (
    25, 20, 701, 16, 1184, 1082, 2950, 114,
)  # fmt: skip
# fmt: off
_KIND_TYPES: dict[ColumnType, KindTypes] = {
    # code, shillelagh field, sqlite, sqlalchemy, pg_oid, pg_type, hogql, value_kind[, length]
    ColumnType.STRING: KindTypes("string", "String", "TEXT", "Text", _PG_TEXT,
                                 "text", "string", "str"),
    ColumnType.INTEGER: KindTypes("integer", "Integer", "INTEGER", "BigInteger", _PG_INT8,
                                  "bigint", "integer", "int"),
    ColumnType.FLOAT: KindTypes("float", "Float", "REAL", "Float", _PG_FLOAT8,
                                "double precision", "float", "float"),
    # Booleans are 1/0 in SQLite and on both query routes.
    ColumnType.BOOLEAN: KindTypes("boolean", "Boolean", "BOOLEAN", "Boolean", _PG_BOOL,
                                  "boolean", "boolean", "int"),
    ColumnType.DATETIME: KindTypes("datetime", "DateTime", "TIMESTAMP", "DateTime",
                                   _PG_TIMESTAMPTZ, "timestamp with time zone", "datetime", "dt"),
    # A date is ISO text on both routes (the translator has no date kind).
    ColumnType.DATE: KindTypes("date", "Date", "DATE", "Date", _PG_DATE,
                               "date", "date", "str"),
    ColumnType.UUID: KindTypes("uuid", "String", "TEXT", "String", _PG_UUID,
                               "uuid", "string", "uuid", 36),
    ColumnType.JSON: KindTypes("json", "String", "JSON", "JSON", _PG_JSON,
                               "json", "json", "json"),
}
# fmt: on


def type_code_for(kind: str) -> str:
    """The PEP 249 type code of a column of catalog kind ``kind`` (``"number"`` is ``"float"``;
    an unknown kind is a string)."""
    return ColumnType.of(kind).code


HOGQL_FIELD_TYPES: dict[str, ColumnType] = {
    "integer": ColumnType.INTEGER,
    "float": ColumnType.FLOAT,
    "decimal": ColumnType.FLOAT,
    "string": ColumnType.STRING,
    "datetime": ColumnType.DATETIME,
    "date": ColumnType.DATE,
    "boolean": ColumnType.BOOLEAN,
    # Arrays (and structs, serialized as json) come as JSON text.
    "array": ColumnType.JSON,
    "json": ColumnType.JSON,
    # A computed field whose type PostHog does not print, or one it cannot type: text.
    "unknown": ColumnType.STRING,
    "expression": ColumnType.STRING,
}
"""PostHog's serialized HogQL field types that are values (the other five are relations)."""


@dataclass(frozen=True)
class Column:
    """One field of a resource's list items."""

    name: str
    type: ColumnType
    nullable: bool = True
    read_only: bool = False
    required: bool = False
    """Required in the create request body."""
    description: str = ""
    enum: tuple[str, ...] | None = None
    max_length: int | None = None

    def field_info(self) -> dict[str, object]:
        """The seed spec's field-info shape (contract B)."""
        return {
            "type": self.type.value,
            "required": self.required,
            "nullable": self.nullable,
            "read_only": self.read_only,
            "description": self.description,
            "enum": list(self.enum) if self.enum is not None else None,
            "max_length": self.max_length,
        }


@dataclass(frozen=True)
class ForeignKey:
    """``column`` of this resource holds ``table_column`` of resource ``table``."""

    column: str
    table: str
    table_column: str


@dataclass(frozen=True)
class Resource:
    """A PostHog resource exposed as a table: its route and its columns."""

    route: ResourceRoute
    columns: tuple[Column, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    description: str = ""
    hogql_table: str | None = None
    """The HogQL table that holds the same rows, when the resource is read through the Query API."""
    hogql_keys: tuple[str, ...] = ()
    """The columns that order the HogQL table for keyset paging (the last one unique)."""
    hogql_shared: tuple[str, ...] = ()
    """A REST resource's columns that HogQL's table of the same name holds with the same values:
    a SELECT using only these may run as HogQL (``persons``)."""

    @property
    def name(self) -> str:
        return self.route.name

    @property
    def hogql_only(self) -> bool:
        """The table exists only in HogQL: PostHog has no REST path for it (no list, no
        retrieve), so it is read through the Query API and checked against no REST schema."""
        return self.hogql_table is not None and not (self.route.can_list or self.route.can_retrieve)

    @property
    def primary_key(self) -> str:
        return self.route.lookup_field

    def column(self, name: str) -> Column:
        """The column called ``name``; ``KeyError`` if there is none."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def has_column(self, name: str) -> bool:
        return any(col.name == name for col in self.columns)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(col.name for col in self.columns)

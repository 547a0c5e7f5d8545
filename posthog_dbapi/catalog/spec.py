"""The shapes of the catalog: a resource (table) spec, its columns, types and foreign keys.

These are plain frozen dataclasses with no behaviour beyond lookups, so every layer above the
catalog (adapters, SQL, the dialect) can read them without knowing where the facts came from.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from posthog_dbapi.driver.routes import ResourceRoute

__all__ = ["Column", "ColumnType", "ForeignKey", "Resource"]


class ColumnType(enum.Enum):
    """The type of a column as the API returns it (JSON values, not SQLite affinities)."""

    STRING = "string"
    INTEGER = "integer"
    FLOAT = "number"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    DATE = "date"
    UUID = "uuid"
    JSON = "json"
    """An object, an array, or a field PostHog leaves untyped."""


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

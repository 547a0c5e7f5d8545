"""Every table a connection offers, described once for every front end.

Owns ``TableInfo``: the one listing the DB-API (``Connection.tables()``), the SQLAlchemy
dialect's reflection, the PostgreSQL front's catalog and the shell's ``.tables`` read. It merges
the catalog's resources (REST resources, and PostHog's own event-scale tables as the catalog
declares them) with the tables the project's ``DatabaseSchemaQuery`` reports (warehouse tables,
saved views, ``system.*`` and any other PostHog table), by these rules:

- **Names.** A HogQL name ``stripe.customer`` is table ``customer`` in schema ``stripe``;
  ``system.*`` is schema ``system``; PostHog's own tables and the REST resources are in the
  default schema (``schema`` is ``None``). ``sql_name`` is what SQL writes (``stripe.customer``).
- **Clashes.** A HogQL table whose name a catalog resource already has (``persons``, ``events``,
  ``sessions``, ...) is that resource: the catalog's table wins, so ``persons`` keeps its REST
  writes and every table keeps the columns ``SELECT *`` has always shown. PostHog's report adds
  only its foreign keys and the note on relations to the comment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from posthog_dbapi.catalog.hogql_schema import HogQLSchema, HogQLSchemaTable
from posthog_dbapi.catalog.resources import RESOURCES
from posthog_dbapi.catalog.spec import ColumnType, ForeignKey, Resource
from posthog_dbapi.driver.routes import DeleteStyle

__all__ = ["ColumnInfo", "TableInfo", "list_tables"]

REST = "rest"
"""The ``kind`` of a catalog resource read and written through PostHog's REST API."""
VIEW_KINDS = frozenset({"view", "managed_view", "materialized_view"})


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: ColumnType
    nullable: bool = True
    comment: str = ""
    read_only: bool = True
    max_length: int | None = None


@dataclass(frozen=True)
class TableInfo:
    """One table of a connection."""

    schema: str | None
    """``None`` for the default schema, else ``stripe``, ``system``, ..."""
    name: str
    """The name inside its schema (``customer``)."""
    kind: str
    """``rest`` (a REST resource), or PostHog's table kind: ``posthog``, ``data_warehouse``,
    ``view``, ``managed_view``, ``system``, ..."""
    columns: tuple[ColumnInfo, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    """``ForeignKey.table`` is the referred table's ``sql_name``."""
    comment: str = ""
    writable: bool = False
    """INSERT, UPDATE or DELETE reach PostHog (REST resources that allow them)."""

    @property
    def sql_name(self) -> str:
        """The table's name in SQL: ``stripe.customer``, ``events``."""
        return f"{self.schema}.{self.name}" if self.schema else self.name

    @property
    def is_view(self) -> bool:
        return self.kind in VIEW_KINDS


def _split(key: str) -> tuple[str | None, str]:
    schema, dot, name = key.rpartition(".")
    return (schema, name) if dot and schema and name else (None, key)


def _resource_table(
    resource: Resource, fields: Mapping[str, Mapping[str, Any]], hogql: HogQLSchemaTable | None,
    known: set[str],
) -> TableInfo:  # fmt: skip
    route = resource.route
    columns = tuple(
        ColumnInfo(
            name,
            ColumnType.of(info.get("type")),
            bool(info.get("nullable", True)) and name != resource.primary_key,
            str(info.get("description") or ""),
            bool(info.get("read_only", False)),
            info["max_length"] if isinstance(info.get("max_length"), int) else None,
        )
        for name, info in fields.items()
    )
    keys = list(resource.foreign_keys)
    comment = resource.description
    if hogql is not None:
        names = {c.name for c in columns}
        keys += [fk for fk in hogql.foreign_keys if fk.column in names and fk.table in known
                 and fk not in keys]  # fmt: skip
        comment = f"{comment} {hogql.relations_note}".strip()
    writable = route.can_create or route.can_update or route.delete_style is not DeleteStyle.NONE
    is_rest = resource.hogql_table is None  # the event-scale ones are read through HogQL
    return TableInfo(
        schema=None,
        name=resource.name,
        kind=REST if is_rest else "posthog",
        columns=columns,
        primary_key=(resource.primary_key,),
        foreign_keys=tuple(keys),
        comment=comment,
        writable=bool(is_rest and writable),
    )


def _schema_table(table: HogQLSchemaTable, known: set[str]) -> TableInfo:
    schema, name = _split(table.key)
    names = {c.name for c in table.columns}
    return TableInfo(
        schema=schema,
        name=name,
        kind=table.table_type,
        columns=tuple(ColumnInfo(c.name, c.type) for c in table.columns),
        primary_key=("id",) if "id" in names else (),
        foreign_keys=tuple(fk for fk in table.foreign_keys if fk.table in known),
        comment=table.comment,
    )


def list_tables(
    fields: Mapping[str, Mapping[str, Mapping[str, Any]]], schema: HogQLSchema | None
) -> list[TableInfo]:
    """Every table: the catalog's resources (``fields``: their field infos by name, as
    ``get_fields`` reports them) and ``schema``'s other tables, sorted by (schema, name) with
    the default schema first."""
    hogql = schema.tables if schema is not None else {}
    known = set(RESOURCES) | set(hogql)
    tables = [
        _resource_table(resource, fields[name], hogql.get(resource.hogql_table or name), known)
        for name, resource in RESOURCES.items()
    ]
    tables += [_schema_table(t, known) for key, t in hogql.items() if key not in RESOURCES]
    return sorted(tables, key=lambda t: (t.schema is not None, t.schema or "", t.name))

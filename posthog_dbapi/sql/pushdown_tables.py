"""The HogQL tables a SELECT can be pushed down to: their columns, value kinds and keyset keys.

No table is listed here: a connection builds its tables from the catalog (the built-in
description of PostHog's own tables, `builtin_tables`) and from what PostHog reports in
``DatabaseSchemaQuery`` (`table_from_schema`). Column kinds are the catalog's
(`posthog_dbapi.catalog.spec.ColumnType`); the translator reasons with each kind's *value kind*,
which fixes how a value looks in the SQLite fallback (the representation contract both routes
share):

- ``str``: text; ``int``: integer (booleans are 1/0); ``float``: real;
- ``uuid``: the UUID as lowercase text;
- ``dt``: a timestamp, stored on the SQLite side as ``datetime.isoformat()`` of an aware UTC
  datetime (``2024-01-05T10:00:00.123456+00:00``; microseconds left out when zero);
- ``json``: JSON text (``properties``), as the Query API returns it.

``keys`` order a table for keyset paging; the last key is unique, so ``(keys)`` is a total order.

A table whose rows come from a REST resource (``persons``: writable, with columns HogQL lacks)
may still run its SELECTs as HogQL when they use only the columns both routes share; such a table
is ``partial`` (``SELECT *`` stays on the REST route) and re-encodes its JSON columns as the REST
route does (``normalise_json``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlglot import exp

from posthog_dbapi.catalog import RESOURCES
from posthog_dbapi.catalog.columns_data import HOGQL_PERSONS
from posthog_dbapi.catalog.hogql_schema import HogQLSchemaTable
from posthog_dbapi.catalog.spec import ColumnType, Resource
from posthog_dbapi.sql.pushdown_dialect import identifier

__all__ = ["BUILTIN_TABLES", "HOGQL_BUILTIN_TABLES", "HogQLTable", "builtin_tables",
           "table_from_schema"]  # fmt: skip


@dataclass(frozen=True)
class HogQLTable:
    name: str
    """The table's name on the SQL side, which is its HogQL name (``stripe.customer``)."""
    columns: tuple[tuple[str, str], ...]
    """(column name, value kind) in the order ``SELECT *`` shows them."""
    keys: tuple[str, ...]
    partial: bool = False
    """The connection's table of this name has columns this one lacks, so ``*`` is not pushed."""
    normalise_json: bool = False
    """JSON columns come out as ``json.dumps`` text of the decoded value (the REST route's form)
    instead of PostHog's raw text."""
    types: tuple[ColumnType, ...] = field(default=(), compare=False)
    """The column kinds, aligned with ``columns``."""

    @classmethod
    def of(cls, name: str, columns: Iterable[tuple[str, ColumnType]], keys: tuple[str, ...],
           **flags: bool) -> HogQLTable:  # fmt: skip
        pairs = tuple(columns)
        return cls(name, tuple((n, t.value_kind) for n, t in pairs), keys,
                   types=tuple(t for _, t in pairs), **flags)  # fmt: skip

    def kind(self, column: str) -> str | None:
        for name, kind in self.columns:
            if name == column:
                return kind
        return None

    def column_type(self, column: str) -> ColumnType:
        for (name, _), kind in zip(self.columns, self.types):
            if name == column:
                return kind
        return ColumnType.STRING

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    def node(self) -> exp.Table:
        """The table as HogQL names it: ``stripe.customer`` is ``customer`` in ``stripe``."""
        schema, dot, name = self.name.rpartition(".")
        if not (dot and schema and name):
            return exp.Table(this=identifier(self.name))
        return exp.Table(this=identifier(name), db=identifier(schema))


def _of_resource(resource: Resource, name: str, columns: Iterable[str] | None = None,
                 **flags: bool) -> HogQLTable:  # fmt: skip
    wanted = None if columns is None else set(columns)
    pairs = [(c.name, c.type) for c in resource.columns if wanted is None or c.name in wanted]
    return HogQLTable.of(name, pairs, resource.hogql_keys, **flags)


def builtin_tables() -> dict[str, HogQLTable]:
    """PostHog's own tables as the catalog declares them, by connection table name.

    The catalog's event-scale resources (``events``, ``sessions``, ``groups``,
    ``person_distinct_ids``) are HogQL tables with the catalog's columns; ``persons`` is its
    REST resource, pushed down over the columns it shares with HogQL's ``persons``
    (``Resource.hogql_shared``). These are also what a connection offers when PostHog does not
    answer ``DatabaseSchemaQuery``."""
    tables: dict[str, HogQLTable] = {}
    for name, resource in RESOURCES.items():
        if resource.hogql_table is not None:
            tables[name] = _of_resource(resource, name)
        elif resource.hogql_shared:
            tables[name] = _of_resource(resource, name, resource.hogql_shared, partial=True,
                                        normalise_json=True)  # fmt: skip
    return tables


BUILTIN_TABLES: Mapping[str, HogQLTable] = builtin_tables()
"""A new connection's HogQL tables, before it learns the project's."""

HOGQL_BUILTIN_TABLES: Mapping[str, HogQLTable] = {
    **{n: t for n, t in BUILTIN_TABLES.items() if not t.partial},
    "persons": HogQLTable.of("persons", ((c.name, c.type) for c in HOGQL_PERSONS), ("id",)),
}
"""PostHog's own tables as the Query API serves them (``persons`` is HogQL's, not the REST
resource): the translator's tables when it is given none."""


def table_from_schema(table: HogQLSchemaTable, *, name: str | None = None) -> HogQLTable:
    """A table PostHog reported in ``DatabaseSchemaQuery`` (warehouse, view, system...), by its
    HogQL name or by ``name``, another name HogQL reads it by (a search alias)."""
    names = [c.name for c in table.columns]
    if "id" in names:
        keys: tuple[str, ...] = ("id",)
    else:
        # No declared key: every non-JSON column orders the keyset. UNVERIFIED that such a
        # table (a saved view) has no fully duplicate rows; only a scan past 50,000 rows pages.
        keys = tuple(c.name for c in table.columns if c.type is not ColumnType.JSON) or tuple(
            names[:1]
        )
    return HogQLTable.of(name or table.key, ((c.name, c.type) for c in table.columns), keys)

"""The HogQL tables a project offers, learned from PostHog's ``DatabaseSchemaQuery``.

Owns turning the Query API's ``DatabaseSchemaQuery`` answer into tables a SQL user can see:

- **Names.** A table's HogQL name (the answer's key) is split at its last dot: ``stripe.customer``
  is ``customer`` in schema ``stripe``, ``system.dashboards`` is ``dashboards`` in schema
  ``system``; undotted names (``events``, saved views) are in the default schema (``None``).
- **Columns.** PostHog's 16 serialized field types map to the catalog's column kinds
  (``spec.HOGQL_FIELD_TYPES``), which carry the SQL types and the pushdown value kind;
  ``unknown`` and ``expression`` are text. Relations (``lazy_table``, ``virtual_table``,
  ``field_traverser``, ``view``, ``materialized_view``) are not columns: a lazy table becomes a
  foreign key where the source has a key column for it, and the table's comment names every
  relation left out and how to reach it.
- **Cost.** ``load_hogql_schema(driver)`` sends one request per driver, on first use, and keeps
  the answer; ``refresh=True`` asks again.

Kinds and keys this module does not know are tolerated (newer PostHog servers add both).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from posthog_dbapi.catalog.spec import HOGQL_FIELD_TYPES, ColumnType, ForeignKey

__all__ = [
    "FIELD_TYPES",
    "HogQLColumn",
    "HogQLSchema",
    "HogQLSchemaTable",
    "load_hogql_schema",
    "parse_database_schema",
]

FIELD_TYPES: Mapping[str, ColumnType] = HOGQL_FIELD_TYPES
"""PostHog's serialized field type -> the column kind (the 11 value types of the 16)."""
RELATION_TYPES = frozenset(
    {"lazy_table", "virtual_table", "field_traverser", "view", "materialized_view"}
)
# How PostHog's lazy joins are keyed (posthog/hogql/database/schema/*.py joiners): (source
# table, relation) -> (source column, target column). The serialized schema names the target
# table but not the keys. Groups are left out: their key is only unique with the group type.
_LAZY_KEYS: Mapping[tuple[str, str], tuple[str, str]] = {
    ("events", "pdi"): ("distinct_id", "distinct_id"),
    ("events", "person"): ("person_id", "id"),
    ("events", "session"): ("$session_id", "session_id"),
    ("person_distinct_ids", "person"): ("person_id", "id"),
}
_RELATION_WORDS = {
    "virtual_table": "virtual",
    "field_traverser": "traverser",
    "view": "view",
    "materialized_view": "view",
}


@dataclass(frozen=True)
class HogQLColumn:
    name: str
    field_type: str
    """PostHog's serialized type (one of the 16; anything newer is kept as given)."""
    type: ColumnType
    hogql: str
    """The field as HogQL prints it (backticks around names such as ``$session_id``)."""

    @property
    def sql_type(self) -> str:
        return self.type.types.sqlite

    @property
    def kind(self) -> str:
        """The pushdown layer's value kind: str, int, float, dt, uuid or json."""
        return self.type.value_kind


@dataclass(frozen=True)
class HogQLSchemaTable:
    key: str
    """The HogQL name (``stripe.customer``)."""
    schema: str | None
    name: str
    table_type: str
    """posthog, system, data_warehouse, view, managed_view, ... as PostHog names the kind."""
    columns: tuple[HogQLColumn, ...]
    relations: tuple[tuple[str, str, str | None], ...] = ()
    """(field, relation type, target table) of the fields that are not columns."""
    foreign_keys: tuple[ForeignKey, ...] = ()
    source_type: str | None = None
    """A warehouse table's source (``Stripe``)."""
    aliases: tuple[str, ...] = ()

    def column(self, name: str) -> HogQLColumn | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def comment(self) -> str:
        """What a user browsing the table should know: its kind, and the relations left out."""
        origin = f" synced from {self.source_type}" if self.source_type else ""
        kind = "" if self.table_type == "posthog" else f" {self.table_type.replace('_', ' ')}"
        text = f"PostHog{kind} table `{self.key}`{origin}; read-only."
        return f"{text} {self.relations_note}".rstrip()

    @property
    def relations_note(self) -> str:
        """The fields left out because they are relations, not columns ('' when none)."""
        if not self.relations:
            return ""
        parts = []
        for name, relation, target in self.relations:
            if relation == "lazy_table" and target:
                parts.append(f"{name} -> {target}")
            else:
                parts.append(f"{name} ({_RELATION_WORDS.get(relation, relation)})")
        first = self.relations[0][0]
        return (
            f"Relations, not columns (HogQL reaches them by dotted access, e.g. "
            f"{first}.<field>): {', '.join(parts)}."
        )


@dataclass
class HogQLSchema:
    """Every table of one project's HogQL, by HogQL name."""

    tables: dict[str, HogQLSchemaTable] = field(default_factory=dict)

    def schemas(self) -> list[str | None]:
        """Schema names, the default (``None``) first, then sorted."""
        names = {t.schema for t in self.tables.values()}
        return [None, *sorted(n for n in names if n is not None)]

    def tables_in(self, schema: str | None) -> list[HogQLSchemaTable]:
        return [t for t in self.tables.values() if t.schema == schema]

    def find(self, schema: str | None, name: str) -> HogQLSchemaTable | None:
        key = f"{schema}.{name}" if schema else name
        found = self.tables.get(key)
        if found is not None:
            return found
        # A flat alias (`stripe_customer`) names the same table.
        return next((t for t in self.tables.values() if schema is None and name in t.aliases), None)


def _split(key: str) -> tuple[str | None, str]:
    schema, dot, name = key.rpartition(".")
    return (schema, name) if dot and schema and name else (None, key)


def _table(key: str, doc: Mapping[str, Any]) -> HogQLSchemaTable:
    columns: list[HogQLColumn] = []
    relations: list[tuple[str, str, str | None]] = []
    fields = doc.get("fields") if isinstance(doc.get("fields"), Mapping) else {}
    for name, spec in (fields or {}).items():
        if not isinstance(spec, Mapping):
            continue
        field_type = str(spec.get("type") or "unknown")
        if field_type in RELATION_TYPES:
            target = spec.get("table")
            relations.append((str(name), field_type, str(target) if target else None))
            continue
        kind = FIELD_TYPES.get(field_type, ColumnType.STRING)
        hogql = str(spec.get("hogql_value") or name)
        columns.append(HogQLColumn(str(name), field_type, kind, hogql))
    schema, name = _split(key)
    source = doc.get("source")
    source_type = source.get("source_type") if isinstance(source, Mapping) else None
    aliases = doc.get("search_aliases")
    return HogQLSchemaTable(
        key=key,
        schema=schema,
        name=name,
        table_type=str(doc.get("type") or "unknown"),
        columns=tuple(columns),
        relations=tuple(relations),
        source_type=str(source_type) if source_type else None,
        aliases=tuple(str(a) for a in aliases) if isinstance(aliases, list) else (),
    )


def _foreign_keys(
    table: HogQLSchemaTable, tables: Mapping[str, HogQLSchemaTable], joins: list[Any]
) -> tuple[ForeignKey, ...]:
    keys: list[ForeignKey] = []
    for name, kind, target in table.relations:
        pair = _LAZY_KEYS.get((table.key, name))
        if kind != "lazy_table" or pair is None or target is None or target not in tables:
            continue
        if table.column(pair[0]) and tables[target].column(pair[1]):
            keys.append(ForeignKey(pair[0], target, pair[1]))
    # Warehouse joins a user defined in PostHog: a key on each side that is a plain column.
    for join in joins:
        if not isinstance(join, Mapping) or join.get("source_table_name") != table.key:
            continue
        target = str(join.get("joining_table_name") or "")
        source_key = str(join.get("source_table_key") or "")
        target_key = str(join.get("joining_table_key") or "")
        if target in tables and table.column(source_key) and tables[target].column(target_key):
            keys.append(ForeignKey(source_key, target, target_key))
    return tuple(keys)


def parse_database_schema(doc: Mapping[str, Any]) -> HogQLSchema:
    """A ``DatabaseSchemaQuery`` answer as tables; tolerant of kinds and keys it does not know."""
    raw = doc.get("tables")
    tables = {
        str(key): _table(str(key), spec)
        for key, spec in (raw.items() if isinstance(raw, Mapping) else ())
        if isinstance(spec, Mapping)
    }
    joins = doc.get("joins") if isinstance(doc.get("joins"), list) else []
    schema = HogQLSchema()
    for key, table in tables.items():
        fks = _foreign_keys(table, tables, joins or [])
        schema.tables[key] = HogQLSchemaTable(**{**table.__dict__, "foreign_keys": fks})
    return schema


_cache: weakref.WeakKeyDictionary[Any, HogQLSchema] = weakref.WeakKeyDictionary()
_locks: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_locks_lock = threading.Lock()


def load_hogql_schema(driver: Any, *, refresh: bool = False) -> HogQLSchema:
    """The project's HogQL tables: one ``DatabaseSchemaQuery`` per driver, then from memory.

    ``driver`` is a ``PostHogDriver`` (anything with ``database_schema()``). The full answer is
    asked for once, so reflecting every table costs one request; PostHog's lighter forms
    (``includeFields: false``, ``tables: [...]``) would cost one more per table reflected."""
    with _locks_lock:
        lock = _locks.setdefault(driver, threading.Lock())
    with lock:  # one request even when several threads reflect at once
        cached = _cache.get(driver)
        if cached is not None and not refresh:
            return cached
        schema = parse_database_schema(driver.database_schema())
        _cache[driver] = schema
        return schema

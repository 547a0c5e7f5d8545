"""`DatabaseSchemaQuery`: every table a project's HogQL can read, in PostHog's serialized shape.

Owns the answer to `POST /query/` with `{"kind": "DatabaseSchemaQuery"}` (PostHog's
`Database.serialize`, as `reference/posthog-source/database-schema-query.json` describes it):
`{"tables": {name: table}, "joins": []}` with the emulator's PostHog tables (type `posthog`),
`system.*` tables (`system`), warehouse tables (`data_warehouse`, with their source and
schema) and saved views (`view`); each table's fields with PostHog's serialized field types. It
also owns the field registry the strict HogQL check uses for the `system`, warehouse and view
tables, so what the schema lists and what a query may name are the same.

Only tables the emulator can answer are listed: PostHog also lists `query_log`, `raw_*` and
`posthog.*` tables, which the emulator does not hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import validation_error
from .hogql_registry_data import GOE_FIELDS, POE_FIELDS, TABLE_FIELDS
from .hogql_tables import HOGQL_TABLES, SYSTEM_COLUMNS
from .warehouse import Columns, Warehouse, field_classes

if TYPE_CHECKING:
    from .eventstore import EventStore

__all__ = ["SchemaRequest", "database_schema", "parse_schema_request", "project_fields"]

# Keys of DatabaseSchemaQuery: schema.py's (kind, modifiers, response, tags, version) and the
# newer connectionId, tables and includeFields.
_REQUEST_KEYS = {
    "kind", "modifiers", "response", "tags", "version", "connectionId", "tables",
    "includeFields",
}  # fmt: skip
# HogQLQuery's keys (the OpenAPI schema): a view's `query` is a full dump with nulls.
_HOGQL_QUERY_KEYS = (
    "explain", "filters", "kind", "modifiers", "name", "query", "response", "tags", "values",
    "variables", "version",
)  # fmt: skip
# HOGQL_CHARACTERS_TO_BE_WRAPPED: a name with one of these is printed in backticks.
_WRAPPED = ("@", "-", "!", "$", "+")

# serialize_fields' mapping from a field class to the serialized type.
_CLASS_TYPES = {
    "IntegerDatabaseField": "integer",
    "FloatDatabaseField": "float",
    "DecimalDatabaseField": "decimal",
    "StringDatabaseField": "string",
    "UUIDDatabaseField": "string",
    "DateTimeDatabaseField": "datetime",
    "DateDatabaseField": "date",
    "BooleanDatabaseField": "boolean",
    "StringJSONDatabaseField": "json",
    "StructDatabaseField": "json",
    "StringArrayDatabaseField": "array",
    "UnknownDatabaseField": "unknown",
    # UNVERIFIED: a plain DatabaseField ($session_id_uuid) matches none of serialize_fields'
    # branches in the source read; reported as unknown here.
    "DatabaseField": "unknown",
    "ExpressionField": "expression",
    "LazyJoin": "lazy_table",
    "VirtualTable": "virtual_table",
    "FieldTraverser": "field_traverser",
}
# Where each lazy join of PostHog's tables leads (lazy_join_tags.py / the source facts).
_LAZY_TARGETS = {
    "pdi": "person_distinct_ids",
    "person": "persons",
    "session": "sessions",
    "exception_issue_override": "error_tracking_issue_fingerprint_overrides",
    # UNVERIFIED: the printed names of these two targets.
    "fingerprint_issue_state": "error_tracking_fingerprint_issue_state",
    "revenue_analytics": "persons_revenue_analytics",
    **{f"group_{i}": "groups" for i in range(5)},
}
# Field names of join targets the emulator does not hold (the snapshot's
# exception_issue_override); others not known are listed empty.
_TARGET_FIELDS = {
    "error_tracking_issue_fingerprint_overrides": ["team_id", "fingerprint", "issue_id"],
}
# The snapshot (test_serialize_database_no_person_on_events) serializes events.person as a
# lazy_table to persons and events.person_id as an expression, although the newer events.py
# declares both FieldTraversers (resolved through pdi): the snapshot is what the API printed.
_EVENTS_AS_SERIALIZED = {"person": "LazyJoin", "person_id": "ExpressionField"}
# JSON columns of the system tables (their ClickHouse type is the same Nullable(String) as
# text columns).
_SYSTEM_JSON = {
    "filters", "variables", "query", "query_metadata", "groups", "parameters", "questions",
    "appearance",
}  # fmt: skip


@dataclass(frozen=True)
class SchemaRequest:
    tables: frozenset[str] | None  # only these names (dotted keys or flat aliases)
    include_fields: bool


def parse_schema_request(query: Mapping[str, Any]) -> SchemaRequest:
    """The parts of a DatabaseSchemaQuery the emulator acts on; 400 for what PostHog refuses."""
    extra = sorted(set(query) - _REQUEST_KEYS)
    if extra:
        # The model is extra="forbid": pydantic's words.
        raise validation_error("Extra inputs are not permitted", attr=f"query__{extra[0]}")
    if query.get("connectionId") is not None:
        # UNVERIFIED: PostHog's answer for a direct connection the team does not have.
        raise validation_error(
            "The emulator has no direct-connection sources; leave connectionId out.",
            attr="query__connectionId",
        )
    tables = query.get("tables")
    if tables is not None and (
        not isinstance(tables, list) or not all(isinstance(t, str) for t in tables)
    ):
        raise validation_error("Input should be a valid list of strings", attr="query__tables")
    include = query.get("includeFields")
    if include is not None and not isinstance(include, bool):
        raise validation_error("Input should be a valid boolean", attr="query__includeFields")
    return SchemaRequest(frozenset(tables) if tables else None, include is not False)


def _system_types(name: str) -> Columns:
    columns: list[tuple[str, str]] = []
    for column, ch_type in SYSTEM_COLUMNS[name]:
        if column in _SYSTEM_JSON:
            kind = "json"
        elif "DateTime" in ch_type:
            kind = "datetime"
        elif "Int" in ch_type:
            kind = "integer"
        elif "Float" in ch_type:
            kind = "float"
        else:
            kind = "string"
        columns.append((column, kind))
    return tuple(columns)


def project_fields(warehouse: Warehouse) -> dict[str, Mapping[str, str]]:
    """The HogQL field classes of the project's `system.*`, warehouse and view tables, by the
    names a query may use for them."""
    registry: dict[str, Mapping[str, str]] = {
        f"system.{name}": field_classes(_system_types(name)) for name in SYSTEM_COLUMNS
    }
    registry.update(warehouse.field_registry())
    return registry


def _field(name: str, kind: str, **extra: Any) -> dict[str, Any]:
    wrapped = any(c in name for c in _WRAPPED)
    return {
        "chain": extra.get("chain"),
        "fields": extra.get("fields"),
        "hogql_value": f"`{name}`" if wrapped else name,
        "id": extra.get("id"),
        "name": name,
        "schema_valid": True,
        "table": extra.get("table"),
        "type": kind,
    }


def _posthog_field(table: str, name: str, field_class: str) -> dict[str, Any]:
    if table == "events":
        field_class = _EVENTS_AS_SERIALIZED.get(name, field_class)
    kind = _CLASS_TYPES.get(field_class, "unknown")
    if kind == "lazy_table":
        target = _LAZY_TARGETS.get(name, name)
        if name == "revenue_analytics" and table == "groups":
            target = "groups_revenue_analytics"
        names = list(TABLE_FIELDS[target]) if target in TABLE_FIELDS else None
        fields = names if names is not None else _TARGET_FIELDS.get(target, [])
        return _field(name, kind, id=name, table=target, fields=fields)
    if kind == "virtual_table":
        virtual = POE_FIELDS if name == "poe" else GOE_FIELDS
        return _field(name, kind, table=table, fields=list(virtual))
    if kind == "field_traverser":
        # UNVERIFIED: the chains of the revenue traversers ($virt_revenue, $virt_mrr).
        return _field(name, kind, chain=["revenue_analytics", name.removeprefix("$virt_")])
    return _field(name, kind)


def _plain_fields(columns: Columns) -> dict[str, Any]:
    return {name: _field(name, kind) for name, kind in columns}


def _hogql_query(text: str) -> dict[str, Any]:
    dump: dict[str, Any] = dict.fromkeys(_HOGQL_QUERY_KEYS)
    dump.update(kind="HogQLQuery", query=text)
    return dump


def _all_tables(store: EventStore) -> dict[str, dict[str, Any]]:
    tables: dict[str, dict[str, Any]] = {}
    # Database.serialize order: PostHog tables sorted, system, warehouse, views.
    for name in sorted(HOGQL_TABLES):
        fields = {
            field: _posthog_field(name, field, cls)
            for field, cls in TABLE_FIELDS[name].items()
            if field != "team_id"  # hidden on PostHog and system tables
        }
        tables[name] = {"fields": fields, "id": name, "name": name, "row_count": None,
                        "type": "posthog"}  # fmt: skip
    for name in SYSTEM_COLUMNS:
        key = f"system.{name}"
        columns = tuple(c for c in _system_types(name) if c[0] != "team_id")
        # UNVERIFIED: the id of a system table (its name is the dotted key).
        tables[key] = {"fields": _plain_fields(columns), "id": key, "name": key,
                       "row_count": None, "type": "system"}  # fmt: skip
    warehouse = store.warehouse
    counts = store.warehouse_row_counts()
    for key, table in warehouse.tables.items():
        source = table.source
        tables[key] = {
            "fields": _plain_fields(table.columns),
            # UNVERIFIED: Stripe-synced tables' format and bucket layout.
            "format": "DeltaS3Wrapper",
            "id": table.id,
            "name": key,
            "row_count": counts.get(key),
            "schema": {
                "id": table.schema_id,
                "incremental": False,
                "last_synced_at": warehouse.synced_at,
                "name": table.schema_name,
                "should_sync": True,
                "status": "Completed",
            },
            "search_aliases": [table.alias],
            "source": {
                "access_method": source.access_method,
                "id": source.id,
                "last_synced_at": warehouse.synced_at,
                "prefix": source.prefix,
                "source_type": source.source_type,
                "status": source.status,
            },
            "type": "data_warehouse",
            "url_pattern": f"https://emulator-bucket.s3.amazonaws.com/{table.alias}/*",
        }
    for name, view in warehouse.views.items():
        tables[name] = {
            "fields": _plain_fields(view.columns),
            "id": view.id,
            "name": name,
            "query": _hogql_query(view.query),
            "row_count": None,
            "type": "view",
        }
    return tables


def database_schema(store: EventStore, request: SchemaRequest) -> dict[str, Any]:
    """The DatabaseSchemaQueryResponse body for `store`'s project."""
    tables = _all_tables(store)
    if request.tables is not None:
        wanted = request.tables
        tables = {
            key: table
            for key, table in tables.items()
            if key in wanted or any(a in wanted for a in table.get("search_aliases") or [])
        }
    if not request.include_fields:
        # The storybook mock answers shallow requests with empty field maps.
        for table in tables.values():
            table["fields"] = {}
    return {"tables": tables, "joins": []}

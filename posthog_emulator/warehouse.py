"""A project's data warehouse in the emulator: synced source tables and saved views.

Owns what PostHog's SQL editor lists beside its own tables: data warehouse tables synced from a
source (the demo has Stripe: `stripe.customer`, `stripe.charge`), and saved views (HogQL
queries queryable by name). Warehouse rows live in the project's chDB store database as
ordinary tables (`stripe_customer`, ...); a view is kept as its HogQL text and expanded into a
subquery when a query names it (PostHog's non-materialized saved queries behave the same way).

Names follow PostHog's `get_data_warehouse_table_name`: `<source type>.<table>` lower-cased,
queryable by that dotted key and by the flat `<source type>_<table>` alias (`search_aliases`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

from . import events_chdb as engine

__all__ = ["SavedView", "Warehouse", "WarehouseSource", "WarehouseTable", "field_classes"]

# PostHog's serialized field type -> the ClickHouse type the store keeps, and the HogQL field
# class the strict field check knows (hogql_registry_data's vocabulary).
_CLICKHOUSE = {
    "string": "String",
    "integer": "Int64",
    "float": "Float64",
    "boolean": "Bool",
    "datetime": "DateTime64(6, 'UTC')",
    "json": "String",
}
_FIELD_CLASS = {
    "string": "StringDatabaseField",
    "integer": "IntegerDatabaseField",
    "float": "FloatDatabaseField",
    "boolean": "BooleanDatabaseField",
    "datetime": "DateTimeDatabaseField",
    "date": "DateDatabaseField",
    "decimal": "DecimalDatabaseField",
    "array": "StringArrayDatabaseField",
    "json": "StringJSONDatabaseField",
}

Columns = tuple[tuple[str, str], ...]  # (name, PostHog serialized field type)


def _uuid(name: str) -> str:
    """A stable UUID per name, so ids survive emulator restarts (PostHog's are random)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"posthog-emulator:{name}"))


def field_classes(columns: Columns) -> dict[str, str]:
    return {name: _FIELD_CLASS.get(kind, "DatabaseField") for name, kind in columns}


@dataclass(frozen=True)
class WarehouseSource:
    """An ExternalDataSource: where synced tables come from."""

    source_type: str  # PostHog's ExternalDataSourceType, e.g. "Stripe"
    prefix: str = ""
    status: str = "Running"
    access_method: str = "warehouse"

    @property
    def id(self) -> str:
        return _uuid(f"source:{self.source_type}:{self.prefix}")


@dataclass(frozen=True)
class WarehouseTable:
    """A DataWarehouseTable synced from `source`; `schema_name` is the source's own name for it."""

    source: WarehouseSource
    table: str  # e.g. "customer"
    schema_name: str  # e.g. "Customer"
    columns: Columns

    @property
    def key(self) -> str:
        parts = [self.source.source_type, self.source.prefix, self.table]
        return ".".join(p for p in parts if p).lower()

    @property
    def alias(self) -> str:
        return self.key.replace(".", "_")

    @property
    def store_table(self) -> str:
        return self.alias

    @property
    def id(self) -> str:
        return _uuid(f"table:{self.key}")

    @property
    def schema_id(self) -> str:
        """The ExternalDataSchema that syncs this table."""
        return _uuid(f"schema:{self.key}")


@dataclass(frozen=True)
class SavedView:
    """A DataWarehouseSavedQuery: a HogQL SELECT with the columns it returns."""

    name: str
    query: str
    columns: Columns

    @property
    def id(self) -> str:
        return _uuid(f"view:{self.name}")


@dataclass
class Warehouse:
    """The warehouse tables and saved views of one project's store."""

    tables: dict[str, WarehouseTable] = field(default_factory=dict)
    views: dict[str, SavedView] = field(default_factory=dict)
    # When the demo sync ran, as PostHog prints it (Python's str() of an aware datetime).
    synced_at: str | None = None

    def table(self, name: str) -> WarehouseTable | None:
        """The table queryable as `name`: its dotted key or its flat alias."""
        found = self.tables.get(name)
        if found is not None:
            return found
        for table in self.tables.values():
            if table.alias == name:
                return table
        return None

    def field_registry(self) -> dict[str, Mapping[str, str]]:
        """Every name a query may use for these tables and views -> its HogQL field classes."""
        registry: dict[str, Mapping[str, str]] = {}
        for table in self.tables.values():
            fields = field_classes(table.columns)
            registry[table.key] = fields
            registry[table.alias] = fields
        for view in self.views.values():
            registry[view.name] = field_classes(view.columns)
        return registry

    def row_count(self, db: str, table: WarehouseTable) -> int:
        rows = engine.query_rows(f"SELECT count() AS c FROM {db}.`{table.store_table}`")
        return int(rows[0]["c"])

    def load_demo(self, db: str) -> None:
        """The demo project's Stripe source and its saved view, built from the demo persons."""
        stripe = WarehouseSource("Stripe")
        for table in (
            WarehouseTable(stripe, "customer", "Customer", STRIPE_CUSTOMER),
            WarehouseTable(stripe, "charge", "Charge", STRIPE_CHARGE),
        ):
            if table.key in self.tables:
                continue
            engine.execute(_create(db, table))
            self.tables[table.key] = table
        engine.execute(_CUSTOMERS.format(db=db))
        engine.execute(_CHARGES.format(db=db))
        self.views.setdefault(DAILY_SIGNUPS.name, DAILY_SIGNUPS)
        self.synced_at = str(datetime.now(timezone.utc))


def _create(db: str, table: WarehouseTable) -> str:
    columns = ", ".join(f"`{name}` {_CLICKHOUSE[kind]}" for name, kind in table.columns)
    return (
        f"CREATE TABLE IF NOT EXISTS {db}.`{table.store_table}` ({columns}) "
        "ENGINE = MergeTree ORDER BY id"
    )


# A subset of the columns PostHog's Stripe source syncs (amounts in the currency's minor unit,
# as Stripe sends them). UNVERIFIED: the full column lists and their PostHog types.
STRIPE_CUSTOMER: Columns = (
    ("id", "string"), ("email", "string"), ("name", "string"), ("created", "datetime"),
    ("balance", "integer"), ("currency", "string"), ("delinquent", "boolean"),
    ("metadata", "json"),
)  # fmt: skip
STRIPE_CHARGE: Columns = (
    ("id", "string"), ("customer", "string"), ("amount", "integer"),
    ("amount_refunded", "integer"), ("currency", "string"), ("status", "string"),
    ("paid", "boolean"), ("description", "string"), ("created", "datetime"),
    ("metadata", "json"),
)  # fmt: skip

# Seven in ten identified demo persons are Stripe customers, with the same email; their ids and
# amounts are hashes of the person, so the same demo data gives the same warehouse rows. A
# customer is created within a day of its person (never later than the demo's end).
_CUSTOMERS = """INSERT INTO {db}.stripe_customer
    SELECT concat('cus_', substring(lower(hex(cityHash64('cus', pk))), 1, 14)),
        JSONExtractString(properties, 'email'), JSONExtractString(properties, 'name'),
        created_at + toIntervalMinute(cityHash64('at', pk) % 1200),
        if(cityHash64('bal', pk) % 5 = 0, -toInt64(cityHash64('b', pk) % 5000), 0), 'usd',
        cityHash64('del', pk) % 17 = 0,
        concat('{{"plan":', toJSONString(JSONExtractString(properties, 'plan')),
               ',"company":', toJSONString(JSONExtractString(properties, 'company')), '}}')
    FROM {db}.persons_raw
    WHERE JSONExtractString(properties, 'email') != '' AND cityHash64('cust', pk) % 10 < 7
      AND JSONExtractString(properties, 'email') NOT IN (SELECT email FROM {db}.stripe_customer)"""
# Zero to five charges per customer, an hour apart.
_CHARGES = """INSERT INTO {db}.stripe_charge
    SELECT concat('ch_', substring(lower(hex(cityHash64('ch', c.id, n))), 1, 14)), c.id,
        toInt64(500 + cityHash64('amt', c.id, n) % 20000 * 5) AS amount,
        if(cityHash64('ref', c.id, n) % 13 = 0, amount, 0), 'usd',
        if(cityHash64('st', c.id, n) % 11 = 0, 'failed', 'succeeded') AS status,
        status = 'succeeded',
        concat('Subscription (', JSONExtractString(c.metadata, 'plan'), ')'),
        c.created + toIntervalMinute(n * 60 + 5), '{{}}'
    FROM {db}.stripe_customer AS c
    ARRAY JOIN range(toUInt32(cityHash64('n', c.id) % 6)) AS n
    WHERE c.id NOT IN (SELECT customer FROM {db}.stripe_charge)"""

DAILY_SIGNUPS = SavedView(
    "daily_signups",
    "SELECT toStartOfDay(timestamp) AS day, count() AS signups FROM events "
    "WHERE event = 'signed_up' GROUP BY day ORDER BY day",
    (("day", "datetime"), ("signups", "integer")),
)

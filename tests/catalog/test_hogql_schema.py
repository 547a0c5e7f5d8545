"""The project's HogQL tables from DatabaseSchemaQuery: names into schemas, the 16 field types
into columns, relations into foreign keys or the table comment; one request per driver."""

from __future__ import annotations

from typing import Any

import pytest

from posthog_dbapi import PostHogDriver
from posthog_dbapi.catalog.hogql_schema import (
    FIELD_TYPES,
    RELATION_TYPES,
    load_hogql_schema,
    parse_database_schema,
)
from posthog_dbapi.catalog.spec import ForeignKey
from posthog_emulator import EmulatorServer
from tests.sent_hogql import query_requests
from tests.shared_reference import load_posthog_source_facts


@pytest.fixture(scope="module")
def facts() -> dict[str, Any]:
    return load_posthog_source_facts("database-schema-query.json", "DatabaseSchemaQuery")


def _driver(server: EmulatorServer) -> PostHogDriver:
    return PostHogDriver(api_url=server.url, api_key=server.api_key, project_id="1")


def test_every_field_type_is_mapped(facts: dict[str, Any]) -> None:
    assert set(FIELD_TYPES) | RELATION_TYPES == set(facts["field_types"])
    assert FIELD_TYPES["unknown"].value_kind == "str" and FIELD_TYPES["json"].value_kind == "json"


def test_posthogs_example_answer(facts: dict[str, Any]) -> None:
    schema = parse_database_schema(facts["example_response"])
    assert schema.schemas() == [None, "stripe"]
    customer = schema.find("stripe", "customer")
    assert customer is not None and customer.source_type == "Stripe"
    assert schema.find(None, "stripe_customer") is customer
    events = schema.find(None, "events")
    assert events is not None
    names = [c.name for c in events.columns]
    assert "person_id" in names and "$session_id" in names
    assert not {"person", "pdi", "poe", "session", "override"} & set(names)
    assert ForeignKey("$session_id", "sessions", "session_id") in events.foreign_keys
    # `override` leads to a table the answer does not list: no key, but the comment tells.
    assert all(fk.table != "person_distinct_id_overrides" for fk in events.foreign_keys)
    assert "override -> person_distinct_id_overrides" in events.comment
    assert events.column("$session_id") is not None
    assert events.column("$session_id").hogql == "`$session_id`"  # type: ignore[union-attr]


def test_unknown_kinds_and_keys_are_tolerated() -> None:
    doc = {
        "tables": {
            "posthog.ai_events": {"type": "posthog", "fields": {"x": {"type": "geo_point"}}},
            "shop.orders": {"type": "some_future_kind", "fields": {}, "new_key": 1},
            "broken": "not a table",
        },
        "joins": [{"source_table_name": "nowhere"}],
        "extra": True,
    }
    schema = parse_database_schema(doc)
    assert set(schema.tables) == {"posthog.ai_events", "shop.orders"}
    ai = schema.find("posthog", "ai_events")
    assert ai is not None and ai.columns[0].sql_type == "TEXT"


def test_demo_project_reflects_with_one_request(emulator: EmulatorServer) -> None:
    driver = _driver(emulator)
    emulator.app.request_log.clear()
    schema = load_hogql_schema(driver)
    assert query_requests(emulator) == 1
    assert load_hogql_schema(driver) is schema  # warm: from memory
    assert query_requests(emulator) == 1
    assert schema.schemas() == [None, "stripe", "system"]
    default = {t.name for t in schema.tables_in(None)}
    assert {"events", "persons", "sessions", "groups", "daily_signups"} <= default
    assert {t.name for t in schema.tables_in("stripe")} == {"customer", "charge"}
    assert "feature_flags" in {t.name for t in schema.tables_in("system")}
    charge = schema.find("stripe", "charge")
    assert charge is not None
    assert [(c.name, c.kind) for c in charge.columns][:3] == [
        ("id", "str"),
        ("customer", "str"),
        ("amount", "int"),
    ]
    view = schema.find(None, "daily_signups")
    assert view is not None and view.table_type == "view"
    assert [(c.name, c.kind) for c in view.columns] == [("day", "dt"), ("signups", "int")]
    events = schema.find(None, "events")
    assert events is not None
    assert ForeignKey("person_id", "persons", "id") in events.foreign_keys
    assert "poe (virtual)" in events.comment
    load_hogql_schema(driver, refresh=True)
    assert query_requests(emulator) == 2
    driver.close()


def test_schema_columns_answer_hogql(emulator: EmulatorServer) -> None:
    """Every column the reflection lists for the warehouse and the view is selectable."""
    driver = _driver(emulator)
    schema = load_hogql_schema(driver)
    for table in [*schema.tables_in("stripe"), schema.find(None, "daily_signups")]:
        assert table is not None
        text = f"SELECT {', '.join(c.hogql for c in table.columns)} FROM {table.key} LIMIT 1"
        assert driver.query(text).columns == [c.name for c in table.columns]
    driver.close()

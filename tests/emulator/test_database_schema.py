"""DatabaseSchemaQuery: the emulator's answer has PostHog's shape (checked against the facts file
read from PostHog's source), lists every table a query can read, and every listed table answers
HogQL with the fields and types it lists."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from posthog_emulator import Emulator, EmulatorServer, FakeClock
from tests.shared_reference import load_posthog_source_facts

WRAPPED = ("@", "-", "!", "$", "+")
RELATIONS = ("lazy_table", "virtual_table", "field_traverser", "view", "materialized_view")


@pytest.fixture(scope="module")
def facts() -> dict[str, Any]:
    return load_posthog_source_facts("database-schema-query.json", "DatabaseSchemaQuery")


def _post(server: EmulatorServer, query: dict[str, Any], path: str = "") -> requests.Response:
    return requests.post(
        f"{server.url}/api/projects/1/query/{path}",
        json={"query": query},
        headers={"Authorization": f"Bearer {server.api_key}"},
        timeout=60,
    )


def _schema(server: EmulatorServer, **options: Any) -> dict[str, Any]:
    r = _post(server, {"kind": "DatabaseSchemaQuery", **options})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _hogql(server: EmulatorServer, text: str) -> dict[str, Any]:
    r = _post(server, {"kind": "HogQLQuery", "query": text})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _keys(spec: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(required keys, all keys) of a model description in the facts file."""
    names = {k for k in spec if not k.startswith("_")}
    return {k for k in names if spec[k].get("required")}, names


def test_answer_has_posthogs_shape(emulator: EmulatorServer, facts: dict[str, Any]) -> None:
    body = _schema(emulator)
    assert set(body) == {"tables", "joins"}
    assert body["joins"] == []
    kinds = {
        spec["type_literal"]: spec["fields"]
        for spec in facts["table_kinds"].values()
        if isinstance(spec, dict)
    }
    field_keys = {k for k in facts["field_schema"] if not k.startswith("_")}
    types = set(facts["field_types"])
    seen_kinds = set()
    for key, table in body["tables"].items():
        seen_kinds.add(table["type"])
        required, allowed = _keys(kinds[table["type"]])
        # model_dump without exclude_none: every key is present, none beyond the model's.
        assert required <= set(table) <= allowed, (key, set(table) ^ allowed)
        assert table["name"] == key
        for name, field in table["fields"].items():
            assert set(field) == field_keys, (key, name)
            assert field["name"] == name and field["type"] in types, (key, name)
            wrapped = any(c in name for c in WRAPPED)
            assert field["hogql_value"] == (f"`{name}`" if wrapped else name)
        if table["type"] == "data_warehouse":
            for sub, model in (
                ("schema", "DatabaseSchemaSchema"),
                ("source", "DatabaseSchemaSource"),
            ):
                req, every = _keys(facts["sub_objects"][model])
                assert req <= set(table[sub]) <= every, (key, sub)
    assert seen_kinds == {"posthog", "system", "data_warehouse", "view"}
    assert list(body["tables"])[:5] == [
        "events",
        "groups",
        "person_distinct_ids",
        "persons",
        "sessions",
    ]


def test_posthog_tables_serialize_as_posthogs_snapshot(
    emulator: EmulatorServer, facts: dict[str, Any]
) -> None:
    ours = _schema(emulator)["tables"]
    example = facts["example_response"]["tables"]
    compared = 0
    for name in ("events", "groups", "persons", "sessions"):
        assert ours[name]["id"] == name and ours[name]["row_count"] is None
        assert "team_id" not in ours[name]["fields"]  # hidden on PostHog tables
        for field_name, field in example[name]["fields"].items():
            if field_name not in ours[name]["fields"]:
                continue  # fields of other PostHog versions (override, event_person_id)
            mine = ours[name]["fields"][field_name]
            assert (mine["type"], mine["table"], mine["id"]) == (
                field["type"],
                field["table"],
                field["id"],
            ), (name, field_name)
            compared += 1
    assert compared > 30
    session = ours["events"]["fields"]["session"]
    assert session["type"] == "lazy_table" and "$channel_type" in session["fields"]


def test_demo_warehouse_view_and_system_tables_are_listed(emulator: EmulatorServer) -> None:
    tables = _schema(emulator)["tables"]
    customer, charge = tables["stripe.customer"], tables["stripe.charge"]
    assert customer["source"]["source_type"] == "Stripe"
    assert customer["source"]["id"] == charge["source"]["id"]
    assert customer["search_aliases"] == ["stripe_customer"]
    assert customer["fields"]["metadata"]["type"] == "json"
    counted = _hogql(emulator, "SELECT count() FROM stripe.customer")["results"]
    assert counted == [[customer["row_count"]]] and customer["row_count"] > 100
    view = tables["daily_signups"]
    assert view["query"]["kind"] == "HogQLQuery" and "signed_up" in view["query"]["query"]
    assert {"system.dashboards", "system.feature_flags", "system.insights"} <= set(tables)


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    return "string"


_EXPECTED_JSON_KIND = {"integer": "integer", "boolean": "boolean", "float": "float"}


def test_every_listed_table_answers_with_its_listed_fields(emulator: EmulatorServer) -> None:
    tables = _schema(emulator)["tables"]
    checked = 0
    for key, table in tables.items():
        if table["type"] == "posthog":
            continue  # covered field by field in test_real_tables.py
        body = _hogql(emulator, f"SELECT * FROM {key} LIMIT 20")
        columns = [c for c in body["columns"] if not (table["type"] == "system" and c == "team_id")]
        assert columns == list(table["fields"]), key
        for row in body["results"]:
            for name, value in zip(body["columns"], row):
                if value is None or name not in table["fields"]:
                    continue
                kind = table["fields"][name]["type"]
                assert _json_kind(value) == _EXPECTED_JSON_KIND.get(kind, "string"), (key, name)
                if kind == "json":
                    json.loads(value)
            checked += 1
    assert checked > 40


def test_stripe_customers_are_demo_persons(emulator: EmulatorServer) -> None:
    count = _hogql(emulator, "SELECT count() FROM stripe.customer")["results"][0][0]
    joined = _hogql(
        emulator,
        "SELECT c.email, count() FROM stripe.customer c "
        "JOIN persons p ON p.properties.email = c.email GROUP BY c.email LIMIT 50000",
    )["results"]
    assert 100 < count == len(joined)
    assert {n for _, n in joined} == {1}
    emails = {
        e
        for (e,) in _hogql(emulator, "SELECT properties.email FROM persons LIMIT 50000")["results"]
    }
    customers = _hogql(emulator, "SELECT email FROM stripe_customer LIMIT 50000")["results"]
    assert {e for (e,) in customers} <= emails
    orphans = _hogql(
        emulator,
        "SELECT count() FROM stripe.charge WHERE customer NOT IN (SELECT id FROM stripe.customer)",
    )
    assert orphans["results"] == [[0]]
    charges = _hogql(emulator, "SELECT count(), countIf(paid) FROM stripe.charge")["results"][0]
    assert charges[0] > count and 0 < charges[1] < charges[0]


def test_saved_view_equals_its_query(emulator: EmulatorServer) -> None:
    view = _hogql(emulator, "SELECT day, signups FROM daily_signups ORDER BY day LIMIT 1000")
    direct = _hogql(
        emulator,
        "SELECT toStartOfDay(timestamp) AS day, count() FROM events "
        "WHERE event = 'signed_up' GROUP BY day ORDER BY day LIMIT 1000",
    )
    assert view["results"] == direct["results"] and len(view["results"]) > 10
    aliased = _hogql(emulator, "SELECT sum(d.signups) FROM daily_signups AS d")
    assert aliased["results"] == [[sum(n for _, n in direct["results"])]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT c.nope FROM stripe.customer c", "Unable to resolve field: nope"),
        ("SELECT nope FROM stripe_charge", "Unable to resolve field: nope"),
        ("SELECT nope FROM daily_signups", "Unable to resolve field: nope"),
        ("SELECT nope FROM system.feature_flags", "Unable to resolve field: nope"),
        ("SELECT id FROM stripe.invoice", "Unknown table `stripe.invoice`."),
    ],
)
def test_new_tables_go_through_the_strict_checks(
    emulator: EmulatorServer, text: str, message: str
) -> None:
    r = _post(emulator, {"kind": "HogQLQuery", "query": text})
    assert r.status_code == 400
    assert r.json()["detail"] == message


def test_lighter_forms_and_kind_route(emulator: EmulatorServer) -> None:
    full = _post(emulator, {"kind": "DatabaseSchemaQuery"}, "DatabaseSchemaQuery/")
    assert full.status_code == 200
    shallow = _post(emulator, {"kind": "DatabaseSchemaQuery", "includeFields": False})
    assert list(shallow.json()["tables"]) == list(full.json()["tables"])
    assert all(t["fields"] == {} for t in shallow.json()["tables"].values())
    assert len(shallow.content) < len(full.content) / 10
    some = _schema(emulator, tables=["events", "stripe_charge", "stripe.customer"])
    assert list(some["tables"]) == ["events", "stripe.customer", "stripe.charge"]
    mismatch = _post(emulator, {"kind": "HogQLQuery", "query": "SELECT 1"}, "DatabaseSchemaQuery/")
    assert (mismatch.status_code, mismatch.json()["detail"]) == (400, "Query kind mismatch")
    extra = _post(emulator, {"kind": "DatabaseSchemaQuery", "bogus": 1})
    assert (extra.status_code, extra.json()["attr"]) == (400, "query__bogus")


@pytest.fixture
def default_tier() -> Iterator[tuple[EmulatorServer, FakeClock]]:
    app = Emulator()
    app.clock = clock = FakeClock()
    server = EmulatorServer(app)
    yield server, clock
    server.stop()


def test_schema_queries_count_as_other_query_kinds(
    default_tier: tuple[EmulatorServer, FakeClock],
) -> None:
    server, clock = default_tier
    # A project without warehouse: PostHog's and system tables only.
    assert {t["type"] for t in _schema(server)["tables"].values()} == {"posthog", "system"}
    server.app.limits.configure(analytics=(3, 100))  # ClickHouseBurst/Sustained, scaled down
    assert [_post(server, {"kind": "DatabaseSchemaQuery"}).status_code for _ in range(4)] == [
        200,
        200,
        200,
        429,
    ]
    # HogQL has its own throttle, untouched by schema requests.
    assert _post(server, {"kind": "HogQLQuery", "query": "SELECT 1"}).status_code == 200
    clock.advance(60)
    assert _post(server, {"kind": "DatabaseSchemaQuery"}).status_code == 200

"""The posthog:// dialect against the emulator: reflection, request counts, Core and pandas."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from posthog_dbapi.catalog import RESOURCES
from tests.sent_hogql import count_schema_queries


@pytest.fixture
def engine(emulator: Any) -> Iterator[sa.engine.Engine]:
    host = emulator.url.split("://", 1)[1]
    eng = sa.create_engine(
        f"posthog://:{emulator.api_key}@{host}/{emulator.project_id}?scheme=http"
    )
    yield eng
    eng.dispose()


# What a SQLAlchemy user must get for each field type the catalog declares (written out here,
# not computed with the dialect's own type map).
_TYPE_OF_KIND: dict[str, type[Any]] = {
    "integer": sa.Integer,
    "number": sa.Float,
    "boolean": sa.Boolean,
    "datetime": sa.DateTime,
    "date": sa.Date,
    "json": sa.JSON,
    "uuid": sa.String,
    "string": sa.String,
}


def _assert_type_of(column_type: Any, info: dict[str, Any], where: str) -> None:
    kind = info.get("type", "string")
    assert isinstance(column_type, _TYPE_OF_KIND[kind]), (where, kind, column_type)
    if kind == "datetime":
        assert column_type.timezone, where  # PostHog's times are aware
    elif kind == "uuid":
        assert column_type.length == 36, where
    elif kind == "string":
        assert column_type.length == info.get("max_length"), (where, info)


def _schema_requests(emulator: Any) -> int:
    return sum(1 for r in emulator.app.request_log if r.path.rstrip("/").endswith("/api/schema"))


def test_table_names_are_the_catalog_and_posthogs_schemas(engine: sa.engine.Engine) -> None:
    inspector = sa.inspect(engine)
    # The demo project has no PostHog table beyond the catalog's, a saved view, a Stripe
    # source and PostHog's system tables (posthog_emulator/warehouse.py).
    assert inspector.get_table_names() == sorted(RESOURCES)
    assert inspector.get_schema_names() == ["main", "stripe", "system"]
    assert inspector.get_view_names() == ["daily_signups"]
    assert inspector.get_table_names(schema="stripe") == ["charge", "customer"]
    assert {"dashboards", "insights"} <= set(inspector.get_table_names(schema="system"))
    assert inspector.has_table("feature_flags")
    assert inspector.has_table("customer", schema="stripe")
    assert not inspector.has_table("customer")
    assert not inspector.has_table("feature_flag")


def test_warehouse_and_view_reflection_costs_one_schema_query_per_engine(
    engine: sa.engine.Engine, emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = count_schema_queries(emulator, monkeypatch)
    inspector = sa.inspect(engine)
    for schema in inspector.get_schema_names():
        for name in inspector.get_table_names(schema) + inspector.get_view_names(schema):
            inspector.get_columns(name, schema)
            inspector.get_foreign_keys(name, schema)
    assert calls == [1]
    customer = {c["name"]: c for c in inspector.get_columns("customer", schema="stripe")}
    # The emulator's Stripe columns (warehouse.py): string, datetime, integer, boolean, json.
    assert isinstance(customer["email"]["type"], sa.Text)
    assert isinstance(customer["created"]["type"], sa.DateTime)
    assert isinstance(customer["balance"]["type"], sa.BigInteger)
    assert isinstance(customer["delinquent"]["type"], sa.Boolean)
    assert isinstance(customer["metadata"]["type"], sa.JSON)
    assert inspector.get_pk_constraint("charge", "stripe")["constrained_columns"] == ["id"]
    assert "read-only" in inspector.get_table_comment("customer", "stripe")["text"]
    # Lazy joins of events are foreign keys; the relations left out are named in the comment.
    fks = {(f["constrained_columns"][0], f["referred_table"]) for f in
           inspector.get_foreign_keys("events")}  # fmt: skip
    assert {("person_id", "persons"), ("$session_id", "sessions")} <= fks
    assert "Relations, not columns" in inspector.get_table_comment("events")["text"]

    # Warm: the same engine asks nothing again.
    emulator.app.request_log.clear()
    again = sa.inspect(engine)
    again.get_columns("daily_signups")
    again.get_table_names(schema="system")
    assert emulator.app.request_log == []


def test_every_table_reflects_its_columns_with_one_schema_fetch(
    engine: sa.engine.Engine, emulator: Any
) -> None:
    from posthog_dbapi import PostHogDriver

    with PostHogDriver(emulator.url, emulator.api_key, emulator.project_id) as driver:
        expected = {name: driver.get_fields(name) for name in RESOURCES}
    emulator.app.request_log.clear()

    inspector = sa.inspect(engine)
    for name in RESOURCES:
        columns = inspector.get_columns(name)
        assert [c["name"] for c in columns] == list(expected[name]), name
        for column in columns:
            info = expected[name][column["name"]]
            _assert_type_of(column["type"], info, f"{name}.{column['name']}")
            assert column["comment"] == (info.get("description") or None)
    assert _schema_requests(emulator) <= 1

    # Warm: a second inspector on the same engine sends nothing.
    emulator.app.request_log.clear()
    again = sa.inspect(engine)
    for name in RESOURCES:
        again.get_columns(name)
    assert [r.path for r in emulator.app.request_log] == []


def test_keys_comments_and_indexes(engine: sa.engine.Engine) -> None:
    inspector = sa.inspect(engine)
    assert inspector.get_pk_constraint("dashboards")["constrained_columns"] == ["id"]
    assert inspector.get_pk_constraint("notebooks")["constrained_columns"] == ["short_id"]
    assert inspector.get_pk_constraint("endpoints")["constrained_columns"] == ["name"]
    fks = inspector.get_foreign_keys("dataset_items")
    assert {"constrained_columns": ["dataset"], "referred_table": "datasets"}.items() <= fks[
        0
    ].items()
    for name, resource in RESOURCES.items():
        fks = inspector.get_foreign_keys(name)
        declared = [(f.column, f.table, f.table_column) for f in resource.foreign_keys]
        assert [(f["constrained_columns"][0], f["referred_table"], f["referred_columns"][0])
                for f in fks][: len(declared)] == declared  # fmt: skip
        assert inspector.get_indexes(name) == []
        assert inspector.get_table_comment(name)["text"].startswith(resource.description)
    with pytest.raises(sa.exc.NoSuchTableError):
        inspector.get_columns("no_such_table")


def test_ping_and_a_query(engine: sa.engine.Engine) -> None:
    with engine.connect() as conn:
        dbapi_connection = conn.connection.dbapi_connection
        assert dbapi_connection is not None
        assert engine.dialect.do_ping(dbapi_connection)
        count = conn.execute(sa.text("SELECT count(*) FROM feature_flags")).scalar_one()
    assert count > 0


def test_core_round_trip(engine: sa.engine.Engine) -> None:
    flags = sa.Table("feature_flags", sa.MetaData(), autoload_with=engine)
    assert isinstance(flags.c.created_at.type, sa.DateTime)
    with engine.begin() as conn:
        conn.execute(sa.insert(flags).values(key="sa-core-flag", name="from SQLAlchemy"))
        row = conn.execute(
            sa.select(flags.c.id, flags.c.name, flags.c.created_at).where(
                flags.c.key == "sa-core-flag"
            )
        ).one()
        assert row.name == "from SQLAlchemy"
        assert isinstance(row.created_at, dt.datetime)
        conn.execute(sa.update(flags).where(flags.c.id == row.id).values(name="renamed"))
        assert (
            conn.execute(sa.select(flags.c.name).where(flags.c.id == row.id)).scalar_one()
            == "renamed"
        )
        conn.execute(sa.delete(flags).where(flags.c.id == row.id))
        left = conn.execute(sa.select(flags.c.id).where(flags.c.key == "sa-core-flag")).all()
    assert left == []


def test_pandas_frames_are_typed(engine: sa.engine.Engine) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # pandas warns on an unsupported connectable
        frame = pd.read_sql_table("dashboards", engine)
        query = pd.read_sql_query(
            "SELECT id, name, created_at FROM dashboards ORDER BY id",
            engine,
            parse_dates=["created_at"],
        )
        plain = pd.read_sql(sa.text("SELECT count(*) AS n FROM dashboards"), engine)
    assert len(frame) == len(query) == int(plain["n"][0]) > 0
    assert str(frame["created_at"].dtype).startswith("datetime64")
    assert str(query["created_at"].dtype).startswith("datetime64")
    assert list(query["id"]) == sorted(frame["id"])

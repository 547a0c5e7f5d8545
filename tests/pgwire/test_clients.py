"""asyncpg, SQLAlchemy's postgresql+psycopg, psqlODBC (pyodbc) and ADBC's libpq driver against
the wire server: each client's own first steps (reflection, catalog calls, parameters, result
fetching), rows compared with the DB-API's, and a time series over events that runs as one
Query API request whichever client sends it."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import adbc_driver_postgresql.dbapi as adbc
import asyncpg
import pandas as pd
import pyodbc
import sqlalchemy as sa

from posthog_dbapi.dbapi import Connection

from .conftest import Wire

QUERY_PATH = "/api/projects/1/query/"


def dbapi_rows(dbapi: Connection, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    cur = dbapi.cursor()
    cur.execute(sql, params)
    return [tuple(row) for row in cur.fetchall()]


def daily_counts(dbapi: Connection) -> dict[dt.date, int]:
    rows = dbapi_rows(
        dbapi, "SELECT date(timestamp) AS d, count(*) FROM events WHERE event = ? GROUP BY 1",
        ("$pageview",),
    )  # fmt: skip
    return {dt.date.fromisoformat(d): n for d, n in rows}


def weekly_counts(dbapi: Connection) -> dict[dt.date, int]:
    """Monday-start weeks, as PostgreSQL's date_trunc('week', ...) counts them."""
    weeks: Counter[dt.date] = Counter()
    for day, count in daily_counts(dbapi).items():
        weeks[day - dt.timedelta(days=day.weekday())] += count
    return dict(weeks)


def one_query_request(wire: Wire, run: Callable[[], Any]) -> Any:
    wire.emulator.app.request_log.clear()
    result = run()
    assert [r.path for r in wire.emulator.app.request_log] == [QUERY_PATH]
    return result


def _uuid_text(value: Any) -> str:
    return str(uuid.UUID(bytes=value)) if isinstance(value, bytes) else str(value)


def as_day(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


# --- asyncpg --------------------------------------------------------------------------------


def test_asyncpg_typed_parameters_and_rows(wire: Wire, dbapi: Connection) -> None:
    expected = dbapi_rows(
        dbapi, "SELECT id, key, active FROM feature_flags WHERE active = ? AND id > ? ORDER BY id",
        (True, 3),
    )  # fmt: skip
    dsn = wire.dsn()
    weeks = weekly_counts(dbapi)

    async def main() -> tuple[list[Any], list[Any], list[Any]]:
        conn = await asyncpg.connect(dsn)
        try:
            # asyncpg encodes each argument by the type Describe reports: bool, int8, timestamptz
            flags = await conn.fetch(
                "SELECT id, key, active FROM feature_flags WHERE active = $1 AND id > $2 "
                "ORDER BY id", True, 3,
            )  # fmt: skip
            since = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
            counted = await conn.fetch(
                "SELECT count(*) FROM events WHERE timestamp >= $1 AND event = $2",
                since, "$pageview",
            )  # fmt: skip
            await conn.fetch("SELECT 1")
            wire.emulator.app.request_log.clear()
            series = await conn.fetch(
                "SELECT date_trunc('week', timestamp) AS week, count(*) AS n FROM events "
                "WHERE event = $1 GROUP BY 1 ORDER BY 1", "$pageview",
            )  # fmt: skip
            assert [r.path for r in wire.emulator.app.request_log] == [QUERY_PATH]
            return list(flags), list(counted), list(series)
        finally:
            await conn.close()

    flags, counted, series = asyncio.run(main())
    assert expected and [tuple(r) for r in flags] == expected
    assert counted[0][0] == sum(daily_counts(dbapi).values())
    assert {as_day(r["week"]): r["n"] for r in series} == weeks


# --- SQLAlchemy postgresql+psycopg ------------------------------------------------------------


def test_sqlalchemy_postgresql_reflection_core_and_pandas(wire: Wire, dbapi: Connection) -> None:
    engine = sa.create_engine(wire.dsn("postgresql+psycopg"))
    try:
        inspector = sa.inspect(engine)
        assert set(inspector.get_table_names()) == set(dbapi.table_names())
        columns = {c["name"]: c for c in inspector.get_columns("feature_flags")}
        assert list(columns) == list(dbapi.get_fields("feature_flags"))
        assert isinstance(columns["active"]["type"], sa.Boolean)
        assert isinstance(columns["id"]["type"], sa.BigInteger)
        pk = inspector.get_pk_constraint("feature_flags")
        assert pk["constrained_columns"] == ["id"] and pk["name"] == "feature_flags_pkey"
        fks = {fk["constrained_columns"][0]: fk for fk in inspector.get_foreign_keys("annotations")}
        assert fks["dashboard_id"]["referred_table"] == "dashboards"
        assert fks["dashboard_id"]["referred_columns"] == ["id"]

        flags = sa.Table("feature_flags", sa.MetaData(), autoload_with=engine)
        query = (
            sa.select(flags.c.id, flags.c.key).where(flags.c.active.is_(True)).order_by(flags.c.id)
        )
        with engine.connect() as conn:
            core = [tuple(r) for r in conn.execute(query)]
        expected = dbapi_rows(
            dbapi, "SELECT id, key FROM feature_flags WHERE active = ? ORDER BY id", (True,)
        )
        assert expected and core == expected

        frame = pd.read_sql(
            sa.text("SELECT event, count(*) AS n FROM events GROUP BY event ORDER BY event"),
            engine,
        )
        expected_counts = dbapi_rows(
            dbapi, "SELECT event, count(*) FROM events GROUP BY event ORDER BY event"
        )
        assert list(frame.itertuples(index=False, name=None)) == expected_counts

        events = sa.Table("events", sa.MetaData(), autoload_with=engine)
        week = sa.func.date_trunc("week", events.c.timestamp).label("week")
        series_query = (
            sa.select(week, sa.func.count().label("n"))
            .where(events.c.event == "$pageview")
            .group_by(week)
            .order_by(week)
        )
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            series = one_query_request(wire, lambda: list(conn.execute(series_query)))
        assert {as_day(w): n for w, n in series} == weekly_counts(dbapi)
    finally:
        engine.dispose()


# --- psqlODBC through pyodbc ------------------------------------------------------------------


def test_psqlodbc_catalog_functions_and_parameters(wire: Wire, dbapi: Connection) -> None:
    with pyodbc.connect(wire.odbc(), autocommit=True) as conn:
        cur = conn.cursor()
        tables = {r.table_name for r in cur.tables(schema="public", tableType="TABLE")}
        assert tables == set(dbapi.table_names())
        columns = [(r.column_name, r.type_name) for r in cur.columns(table="feature_flags")]
        assert [name for name, _ in columns] == list(dbapi.get_fields("feature_flags"))
        assert dict(columns)["active"] == "bool" and dict(columns)["id"] == "int8"
        keys = [(r.column_name, r.key_seq, r.pk_name) for r in cur.primaryKeys("feature_flags")]
        assert keys == [("id", 1, "feature_flags_pkey")]
        references = {
            (r.pktable_name, r.pkcolumn_name, r.fkcolumn_name)
            for r in cur.foreignKeys(foreignTable="annotations")
        }
        assert ("dashboards", "id", "dashboard_id") in references
        referenced_by = {(r.fktable_name, r.fkcolumn_name) for r in cur.foreignKeys("dashboards")}
        assert ("annotations", "dashboard_id") in referenced_by
        stats = [
            (r.index_name, r.column_name, r.non_unique)
            for r in cur.statistics("feature_flags")
            if r.index_name
        ]
        assert stats == [("feature_flags_pkey", "id", 0)]

        rows = cur.execute(
            "SELECT id, key FROM feature_flags WHERE active = ? AND id > ? ORDER BY id", True, 3
        ).fetchall()
        expected = dbapi_rows(
            dbapi, "SELECT id, key FROM feature_flags WHERE active = ? AND id > ? ORDER BY id",
            (True, 3),
        )  # fmt: skip
        assert expected and [tuple(r) for r in rows] == expected
        series = one_query_request(
            wire,
            lambda: cur.execute(
                "SELECT date_trunc('week', timestamp) AS week, count(*) FROM events "
                "WHERE event = ? GROUP BY 1 ORDER BY 1", "$pageview",
            ).fetchall(),
        )  # fmt: skip
    assert {as_day(w): n for w, n in series} == weekly_counts(dbapi)


# --- ADBC (libpq) -----------------------------------------------------------------------------


def test_adbc_fetch_arrow_table_over_binary_copy(wire: Wire, dbapi: Connection) -> None:
    with adbc.connect(wire.dsn()) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT uuid, event, timestamp, properties FROM events "
            "ORDER BY timestamp, uuid LIMIT 50"
        )
        table = cur.fetch_arrow_table()
        expected = dbapi_rows(
            dbapi, "SELECT uuid, event, timestamp FROM events ORDER BY timestamp, uuid LIMIT 50"
        )
        got = [(_uuid_text(r["uuid"]), r["event"], r["timestamp"]) for r in table.to_pylist()]
        assert got == [(str(u), e, t) for u, e, t in expected]
        cur.execute("SELECT 1")
        cur.fetchall()

        def series_table() -> Any:
            # ADBC sends it as COPY (SELECT ...) TO STDOUT (FORMAT binary)
            cur.execute(
                "SELECT date_trunc('week', timestamp) AS week, count(*) AS n FROM events "
                "WHERE event = '$pageview' GROUP BY 1 ORDER BY 1"
            )
            return cur.fetch_arrow_table()

        series = one_query_request(wire, series_table).to_pylist()
    assert {as_day(r["week"]): r["n"] for r in series} == weekly_counts(dbapi)

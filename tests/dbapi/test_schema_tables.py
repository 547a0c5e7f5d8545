"""The HogQL tables PostHog reports (DatabaseSchemaQuery) as tables of a connection: warehouse
tables in their schema (``stripe.customer``), saved views, ``system.*``; learned lazily, once,
read-only, each SELECT one HogQL request that equals the SQLite route's answer."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

import posthog_dbapi.dbapi as dbapi
from posthog_dbapi.catalog import RESOURCES
from posthog_dbapi.catalog.spec import ColumnType
from posthog_dbapi.exceptions import NotSupportedError, ProgrammingError
from posthog_dbapi.sql import statements
from posthog_dbapi.sql.qualified_names import quote_qualified
from posthog_emulator.errors import validation_error
from tests.sent_hogql import count_schema_queries

# A customer's email is the email of a demo person (posthog_emulator/warehouse.py): the join
# counts each customer's persons, and charges per customer email.
CUSTOMER_PERSONS = (
    "SELECT c.email, count(*) FROM stripe.customer c JOIN persons p "
    "ON json_extract(p.properties, '$.email') = c.email GROUP BY 1 ORDER BY 1"
)
CHARGES_PER_PERSON = (
    'SELECT c.email, count(*), sum(ch.amount) FROM "stripe"."charge" ch '
    "JOIN stripe.customer c ON c.id = ch.customer "
    "JOIN persons p ON json_extract(p.properties, '$.email') = c.email "
    "WHERE ch.paid = 1 GROUP BY c.email ORDER BY 1"
)
SIGNUPS = "SELECT day, signups FROM daily_signups WHERE signups > 0 ORDER BY day"


def _query_posts(emulator: Any) -> int:
    return sum(1 for r in emulator.app.request_log if r.path.rstrip("/").endswith("/query"))


@pytest.fixture
def off(emulator: Any) -> Iterator[dbapi.Connection]:
    connection = dbapi.connect(
        emulator.url, emulator.api_key, emulator.project_id, pushdown="off", max_retries=0
    )
    yield connection
    connection.close()


@pytest.mark.parametrize("sql", [CUSTOMER_PERSONS, CHARGES_PER_PERSON, SIGNUPS])
def test_schema_tables_run_as_one_hogql_request_and_equal_sqlite(
    sql: str, conn: dbapi.Connection, off: dbapi.Connection, emulator: Any
) -> None:
    conn.load_tables()
    emulator.app.request_log.clear()
    cursor = conn.cursor()
    cursor.execute(sql)
    pushed = cursor.fetchall()
    assert cursor.route == "hogql", cursor.route_reason
    assert _query_posts(emulator) == 1
    assert len(pushed) > 3  # the demo data has customers, charges and signups

    slow = off.cursor()
    slow.execute(sql)
    assert slow.route == "sqlite"
    assert slow.fetchall() == pushed


def test_rest_statements_learn_nothing(
    conn: dbapi.Connection, emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = count_schema_queries(emulator, monkeypatch)
    cursor = conn.cursor()
    cursor.execute("WITH f AS (SELECT key FROM feature_flags) SELECT count(*) FROM f")
    cursor.execute("SELECT count(*) FROM events")
    cursor.execute("SELECT count(*) FROM main.feature_flags")
    assert calls == [0]
    cursor.execute("SELECT count(*) FROM system.dashboards")
    cursor.execute("SELECT count(*) FROM stripe.charge")
    assert calls == [1]
    assert cursor.fetchone()[0] > 0


def test_every_spelling_of_a_schema_table(conn: dbapi.Connection) -> None:
    cursor = conn.cursor()
    counts = set()
    for name in ("stripe.customer", '"stripe"."customer"', '"stripe.customer"', "STRIPE.Customer",
                 "stripe_customer"):  # fmt: skip
        cursor.execute(f"SELECT count(*) FROM {name} WHERE email LIKE '%@%'")
        counts.add(cursor.fetchone()[0])
    assert len(counts) == 1 and counts.pop() > 0
    # A column written with its table's full name; a dotted name inside a string stays text.
    cursor.execute(
        "SELECT stripe.customer.email, 'stripe.customer' FROM stripe.customer ORDER BY 1 LIMIT 1"
    )
    email, text = cursor.fetchone()
    assert "@" in email and text == "stripe.customer"


def test_names_sql_does_not_allow_are_quoted() -> None:
    known = ["my-source.orders", "system.dashboards"]
    assert quote_qualified('SELECT * FROM "my-source".orders o', known) == (
        'SELECT * FROM "my-source.orders" o'
    )
    assert quote_qualified("SELECT x.system FROM t x -- system.dashboards", known) == (
        "SELECT x.system FROM t x -- system.dashboards"
    )


def test_schema_tables_are_read_only(conn: dbapi.Connection) -> None:
    cursor = conn.cursor()
    for write in (
        "DELETE FROM stripe.customer WHERE id = 'cus_x'",
        "INSERT INTO daily_signups (day, signups) VALUES ('2024-01-01', 1)",
        "UPDATE system.dashboards SET name = 'x'",
    ):
        with pytest.raises(NotSupportedError, match="read only"):
            cursor.execute(write)
    with pytest.raises(ProgrammingError, match="No table"):
        cursor.execute("SELECT * FROM stripe.customers")


def test_tables_lists_every_table_once(conn: dbapi.Connection) -> None:
    tables = {t.sql_name: t for t in conn.tables()}
    assert set(RESOURCES) <= set(tables)
    customer = tables["stripe.customer"]
    assert (customer.schema, customer.name, customer.kind) == (
        "stripe",
        "customer",
        "data_warehouse",
    )
    assert not customer.writable and customer.primary_key == ("id",)
    types = {c.name: c.type for c in customer.columns}
    assert types["created"] is ColumnType.DATETIME and types["metadata"] is ColumnType.JSON
    assert tables["daily_signups"].is_view and tables["daily_signups"].schema is None
    assert tables["system.dashboards"].schema == "system"
    assert tables["persons"].writable and tables["persons"].kind == "rest"
    assert tables["groups"].kind == "posthog" and not tables["groups"].writable


def test_a_server_without_database_schema_query_keeps_the_builtin_tables(
    conn: dbapi.Connection,
    emulator: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def older_posthog(*args: Any, **kwargs: Any) -> Any:
        # What a PostHog without the query kind answers (a 400 naming the kind).
        raise validation_error("Unknown query kind: DatabaseSchemaQuery", attr="kind")

    monkeypatch.setattr(emulator.app.queries, "database_schema", older_posthog)
    with caplog.at_level(logging.WARNING, logger="posthog_dbapi"):
        assert conn.load_tables() is None
    assert "DatabaseSchemaQuery" in caplog.text
    names = {t.sql_name for t in conn.tables()}
    assert {"events", "persons", "sessions", "groups"} <= names
    assert not any("." in n for n in names)
    cursor = conn.cursor()
    cursor.execute("SELECT count(*) FROM sessions")
    assert cursor.fetchone()[0] > 0
    with pytest.raises(ProgrammingError, match="No table"):
        cursor.execute("SELECT * FROM stripe.customer")


def test_a_schema_qualified_statement_is_parsed_once_per_text(
    conn: dbapi.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The statement as written and as rewritten (stripe.customer -> "stripe.customer") are each
    # read by sqlglot once, however often the statement runs.
    parsed: list[str] = []
    read = statements._read

    def counting(sql: str) -> statements.Statement:
        parsed.append(sql)
        return read(sql)

    monkeypatch.setattr(statements, "_read", counting)
    statements.classify.cache_clear()
    sql = "SELECT count(*) FROM stripe.customer WHERE email LIKE ?"
    counts = {conn.cursor().execute(sql, ("%@%",)).fetchone() for _ in range(3)}
    assert len(counts) == 1 and next(iter(counts))[0] > 0
    assert len(parsed) == 2
    assert parsed[0] == sql and parsed[1] == quote_qualified(sql, conn.hogql_tables)

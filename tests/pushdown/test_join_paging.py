"""A pushed-down join without aggregate pages by keyset over every table's keys, so it can
return more rows than one Query API answer holds, each row once, as SQLite's join does. A side
an outer join pads is keyed NULL-safe (whether the row is real, then its keys as text)."""

from __future__ import annotations

import sqlite3

import pytest

from posthog_dbapi import OperationalError, PostHogDriver
from posthog_dbapi.sql import pushdown_planner
from posthog_dbapi.sql.pushdown_planner import PushdownPlan, execute, plan
from posthog_emulator import EmulatorServer

JOINS = [
    "SELECT e.uuid, p.id FROM events e JOIN persons p ON e.person_id = p.id "
    "WHERE e.event = '$pageview'",
    # A self-join: both sides' keys together are what is unique.
    "SELECT a.uuid, b.uuid FROM events a JOIN events b ON a.distinct_id = b.distinct_id "
    "AND a.event = 'purchase' AND b.event = 'signed_up'",
    "SELECT e.uuid, d.distinct_id FROM events e, person_distinct_ids d "
    "WHERE e.distinct_id = d.distinct_id AND e.event = 'purchase' ORDER BY e.timestamp DESC",
    # A derived table pages by the keys of the table it reads, carried as extra columns.
    "SELECT e.uuid, p.id FROM (SELECT uuid, person_id FROM events WHERE event = 'purchase') e "
    "JOIN persons p ON e.person_id = p.id",
]
# Each pads some rows with NULLs in the demo data (persons without purchases, or without events).
OUTER_JOINS = [
    "SELECT p.id, e.uuid FROM persons p LEFT JOIN events e ON e.person_id = p.id "
    "AND e.event = 'purchase'",
    "SELECT p.id, e.uuid FROM persons p LEFT JOIN events e ON e.person_id = p.id "
    "AND e.event = 'purchase' ORDER BY p.created_at DESC",
    "SELECT e.uuid, p.id FROM events e RIGHT JOIN persons p ON e.person_id = p.id "
    "WHERE p.is_identified",
    "SELECT e.uuid, p.id FROM events e FULL JOIN persons p ON e.person_id = p.id "
    "WHERE p.is_identified OR e.event = 'purchase'",
    "SELECT p.id, e.uuid FROM persons p LEFT JOIN "
    "(SELECT uuid, person_id FROM events WHERE event = 'purchase') e ON e.person_id = p.id",
]


@pytest.mark.parametrize("sql", JOINS)
def test_a_join_pages_by_every_tables_keys(
    sql: str, driver: PostHogDriver, fallback_db: sqlite3.Connection, emulator: EmulatorServer
) -> None:
    chosen = plan(sql, [])
    assert isinstance(chosen, PushdownPlan) and chosen.mode == "keyset", chosen
    local = [tuple(row) for row in fallback_db.execute(sql)]
    page = max(1, len(local) // 4)  # about five pages, as 50,000-row pages of a bigger answer
    emulator.app.request_log.clear()
    result = execute(driver, chosen, page_size=page)
    pushed = [tuple(str(v) for v in row) for row in result]
    sent = [r for r in emulator.app.request_log if r.path.endswith("/query/")]
    assert len(result.queries) == len(sent) == len(local) // page + 1 >= 4
    expected = [tuple(str(v) for v in row) for row in local]
    if "ORDER BY" in sql:
        assert [r[0] for r in pushed] == [r[0] for r in expected]
    assert sorted(pushed) == sorted(expected) and len(set(pushed)) == len(pushed)


@pytest.mark.parametrize("sql", OUTER_JOINS)
def test_an_outer_join_pages_with_its_padded_rows(
    sql: str, driver: PostHogDriver, fallback_db: sqlite3.Connection, emulator: EmulatorServer
) -> None:
    chosen = plan(sql, [])
    assert isinstance(chosen, PushdownPlan) and chosen.mode == "keyset", chosen
    local = [tuple(row) for row in fallback_db.execute(sql)]
    assert any(None in row for row in local)  # padded rows are among those paged
    page = max(1, len(local) // 2)  # three pages: each reruns the join on the server
    emulator.app.request_log.clear()
    result = execute(driver, chosen, page_size=page)
    pushed = [tuple(str(v) for v in row) for row in result]
    sent = [r for r in emulator.app.request_log if r.path.endswith("/query/")]
    assert len(result.queries) == len(sent) == len(local) // page + 1 == 3
    expected = [tuple(str(v) for v in row) for row in local]
    if "ORDER BY" in sql:
        # created_at is not unique: the order holds between runs of equal keys.
        created = dict(fallback_db.execute("SELECT id, created_at FROM persons"))
        assert [created[r[0]] for r in pushed] == [created[r[0]] for r in expected]
    assert sorted(pushed) == sorted(expected) and len(set(pushed)) == len(pushed)


@pytest.mark.parametrize(
    "sql",
    [
        # A LIMIT picks rows by an order that may tie: a rerun per page could pick others.
        "SELECT e.uuid, p.id FROM (SELECT uuid, person_id FROM events LIMIT 10) e "
        "JOIN persons p ON e.person_id = p.id",
        "SELECT e.n, p.id FROM (SELECT person_id, count(*) AS n FROM events GROUP BY person_id) e "
        "JOIN persons p ON e.person_id = p.id",
    ],
)
def test_a_derived_table_that_picks_or_merges_rows_is_not_paged(sql: str) -> None:
    chosen = plan(sql, [])
    assert isinstance(chosen, PushdownPlan) and chosen.mode == "single", chosen


def test_a_full_answer_that_cannot_page_names_the_shape(
    driver: PostHogDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The Query API's cap made small, so a small answer fills it.
    monkeypatch.setattr(pushdown_planner, "MAX_ROWS_PER_QUERY", 10)
    sql = (
        "SELECT e.uuid, p.id FROM (SELECT uuid, person_id FROM events LIMIT 100) e "
        "JOIN persons p ON e.person_id = p.id"
    )
    chosen = plan(sql, [])
    assert isinstance(chosen, PushdownPlan)
    with pytest.raises(OperationalError, match="a subquery or CTE in FROM that limits") as info:
        list(execute(driver, chosen))
    assert 'pushdown="off"' in str(info.value.suggestion)

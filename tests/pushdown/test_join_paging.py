"""A pushed-down join without aggregate pages by keyset over every table's keys, so it can
return more rows than one Query API answer holds, each row once, as SQLite's join does."""

from __future__ import annotations

import sqlite3

import pytest

from posthog_dbapi import PostHogDriver
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


def test_an_outer_join_is_not_paged() -> None:
    # A padded side has no key values to continue after: one answer, or the clear error.
    chosen = plan("SELECT p.id, e.uuid FROM persons p LEFT JOIN events e ON e.person_id = p.id", [])
    assert isinstance(chosen, PushdownPlan) and chosen.mode == "single"

"""An aggregate whose answer is larger than one Query API answer pages by its group keys: the
aggregate runs whole as a subquery on each page (so HAVING and windows over it see every group),
and the rows continue after the last page's keys, NULL-safe. Each group once, as SQLite gives."""

from __future__ import annotations

import sqlite3

import pytest

import posthog_dbapi
from posthog_dbapi import OperationalError, PostHogDriver
from posthog_dbapi.sql import pushdown_planner
from posthog_dbapi.sql.pushdown_planner import PushdownPlan, execute, plan
from posthog_emulator import EmulatorServer

from .hogql_grammar import parse_error

GROUPED = [
    "SELECT distinct_id, count(*) AS n FROM events GROUP BY distinct_id",
    # NULL keys (events without a campaign) and two keys, one of them not the first output.
    "SELECT count(*) AS n, json_extract(properties, '$.utm_source') AS src, distinct_id "
    "FROM events GROUP BY src, distinct_id",
    "SELECT DISTINCT person_id, event FROM events",
    # HAVING: filters the groups before they are paged.
    "SELECT distinct_id, count(*) AS n FROM events GROUP BY distinct_id HAVING count(*) > 3",
]


@pytest.mark.parametrize("sql", GROUPED)
def test_an_aggregate_pages_by_its_group_keys(
    sql: str,
    driver: PostHogDriver,
    fallback_db: sqlite3.Connection,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    local = [tuple(str(v) for v in row) for row in fallback_db.execute(sql)]
    cap = max(1, len(local) // 4)  # about five pages, as 50,000-row pages of a bigger answer
    monkeypatch.setattr(pushdown_planner, "MAX_ROWS_PER_QUERY", cap)
    chosen = plan(sql, [])
    assert isinstance(chosen, PushdownPlan) and chosen.mode == "single", chosen
    emulator.app.request_log.clear()
    result = execute(driver, chosen)
    pushed = [tuple(str(v) for v in row) for row in result]
    sent = [r for r in emulator.app.request_log if r.path.endswith("/query/")]
    # The one answer that came back full, then the pages.
    assert len(result.queries) == len(sent) == 1 + len(local) // cap + 1 >= 5
    assert all(parse_error(q) is None for q in result.queries)
    assert sorted(pushed) == sorted(local) and len(set(pushed)) == len(pushed)


def test_a_cursor_counts_the_pages_before_it_sends_them(
    emulator: EmulatorServer, fallback_db: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    sql = "SELECT distinct_id, count(*) AS n FROM events GROUP BY distinct_id"
    groups = len(fallback_db.execute(sql).fetchall())
    monkeypatch.setattr(pushdown_planner, "MAX_ROWS_PER_QUERY", groups // 3)
    server = emulator
    with posthog_dbapi.connect(server.url, server.api_key, server.project_id,
                               query_cache_ttl=0, max_queries=0) as conn:  # fmt: skip
        cursor = conn.cursor().execute(sql)
        assert len(cursor.fetchall()) == groups
        # full answer, its rerun's first page, a count, then the pages left
        assert len(cursor.queries) == cursor.estimated_queries == 1 + 1 + 1 + 3
    with posthog_dbapi.connect(server.url, server.api_key, server.project_id,
                               query_cache_ttl=0, max_queries=3) as conn:  # fmt: skip
        cursor = conn.cursor().execute(sql)
        with pytest.raises(OperationalError, match="max_queries=3"):
            cursor.fetchall()
        assert len(cursor.queries) <= 3


def test_a_limit_beyond_one_answer_is_not_cut_short(
    driver: PostHogDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pushdown_planner, "MAX_ROWS_PER_QUERY", 10)
    chosen = plan("SELECT distinct_id, count(*) FROM events GROUP BY distinct_id LIMIT 25", [])
    assert isinstance(chosen, PushdownPlan)
    result = execute(driver, chosen)
    assert len({row[0] for row in result}) == 25
    assert len(result.queries) == 1 + 3


def test_an_ordered_aggregate_that_fills_an_answer_says_so(
    driver: PostHogDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pushdown_planner, "MAX_ROWS_PER_QUERY", 10)
    sql = "SELECT distinct_id, count(*) FROM events GROUP BY distinct_id ORDER BY 2 DESC"
    chosen = plan(sql, [])
    assert isinstance(chosen, PushdownPlan)
    with pytest.raises(OperationalError, match="its aggregate, GROUP BY or DISTINCT"):
        list(execute(driver, chosen))

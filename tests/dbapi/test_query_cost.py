"""What a statement costs in Query API requests: the fallback's bound, the guard that refuses a
statement before it spends, and the answer cache that lets a dashboard load twice for the price
of once."""

from __future__ import annotations

from typing import Any

import pytest

import posthog_dbapi
from posthog_dbapi.dialect.url import connect_args_from_url
from posthog_dbapi.driver.query_cache import QueryCache, query_cache
from posthog_dbapi.exceptions import InterfaceError, OperationalError
from tests.conftest import FakeTime
from tests.sent_hogql import query_requests


@pytest.fixture
def connect(emulator: Any) -> Any:
    opened: list[Any] = []

    def make(**options: Any) -> Any:
        conn = posthog_dbapi.connect(emulator.url, emulator.api_key, emulator.project_id,
                                     **options)  # fmt: skip
        opened.append(conn)
        return conn

    yield make
    for conn in opened:
        conn.close()


# Joins SQLite must run (unicode() has no HogQL form): before this project's fix, SQLite asked
# the inner table once per outer row, one Query API request each.
FALLBACK_JOINS = [
    "SELECT e.event, count(*) FROM events e JOIN person_distinct_ids d "
    "ON e.distinct_id = d.distinct_id WHERE unicode(e.event) > 100 GROUP BY e.event",
    'SELECT count(*) FROM events e JOIN sessions s ON e."$session_id" = s.session_id '
    "WHERE unicode(s.session_id) > 50",
    "SELECT count(*) FROM events e JOIN dashboards d ON d.name = e.event",
]


@pytest.mark.parametrize("sql", FALLBACK_JOINS)
def test_a_join_run_in_sqlite_fetches_each_table_at_most_twice(
    sql: str, connect: Any, emulator: Any
) -> None:
    cursor = connect().cursor()
    emulator.app.request_log.clear()
    rows = cursor.execute(sql).fetchall()
    assert cursor.route == "sqlite"
    assert cursor.estimated_queries is not None
    assert len(cursor.queries) == query_requests(emulator) <= cursor.estimated_queries <= 4
    # The same rows as SQLite over everything, fetched with no pushdown at all.
    plain = connect(pushdown="off", query_cache_ttl=0).cursor()
    assert sorted(plain.execute(sql).fetchall()) == sorted(rows)


def test_a_join_pushed_down_is_one_request_with_the_same_rows(connect: Any, emulator: Any) -> None:
    sql = "SELECT e.event, count(*) FROM events e JOIN persons p ON e.person_id = p.id GROUP BY 1"
    cursor = connect().cursor()
    emulator.app.request_log.clear()
    rows = cursor.execute(sql).fetchall()
    assert cursor.route == "hogql" and len(cursor.queries) == query_requests(emulator) == 1
    assert cursor.estimated_queries == 1
    assert sum(n for _, n in rows) > 0
    local = connect(pushdown="off", query_cache_ttl=0).cursor().execute(sql).fetchall()
    assert sorted(local) == sorted(rows)


def test_the_guard_refuses_before_sending_anything(connect: Any, emulator: Any) -> None:
    cursor = connect(max_queries=1).cursor()
    emulator.app.request_log.clear()
    with pytest.raises(OperationalError) as caught:
        cursor.execute(FALLBACK_JOINS[0])
    assert query_requests(emulator) == 0
    error = caught.value
    assert error.details["estimate"] == 4 and error.details["max_queries"] == 1
    assert "max_queries" in str(error) and error.details["suggestion"]
    # A keyset scan whose LIMIT needs two pages of 50,000 rows is counted before it starts.
    with pytest.raises(OperationalError, match="about 2 Query API requests"):
        cursor.execute("SELECT uuid FROM events LIMIT 60000")
    assert query_requests(emulator) == 0
    # The same statements run when the guard allows them (0: any number).
    assert connect(max_queries=0).cursor().execute(FALLBACK_JOINS[0]).fetchall()


@pytest.mark.parametrize("bad", [-1, "many", 1.5, True])
def test_max_queries_must_be_a_whole_number(bad: Any, emulator: Any) -> None:
    with pytest.raises(InterfaceError, match="max_queries"):
        posthog_dbapi.connect(emulator.url, emulator.api_key, emulator.project_id, max_queries=bad)


def test_an_identical_query_is_answered_from_the_cache(connect: Any, emulator: Any) -> None:
    sql = "SELECT event, count(*) FROM events GROUP BY event ORDER BY event"
    first, second = connect(), connect()
    emulator.app.request_log.clear()
    rows = first.cursor().execute(sql).fetchall()
    assert query_requests(emulator) == 1
    again = second.cursor()  # another connection with the same key and project
    assert again.execute(sql).fetchall() == rows
    assert query_requests(emulator) == 1 and again.queries == []
    # Other values are another query.
    third = first.cursor().execute("SELECT count(*) FROM events WHERE event = ?", ("purchase",))
    assert third.fetchall() and query_requests(emulator) == 2
    # The cache holds a digest of the key, never the key.
    assert query_cache and all(emulator.api_key not in part for key in query_cache._entries
                               for part in key)  # fmt: skip


def test_query_cache_ttl_zero_sends_every_time(connect: Any, emulator: Any) -> None:
    conn = connect(query_cache_ttl=0)
    emulator.app.request_log.clear()
    for _ in range(2):
        conn.cursor().execute("SELECT count(*) FROM events").fetchall()
    assert query_requests(emulator) == 2


def test_a_cached_answer_expires_after_its_ttl() -> None:
    time = FakeTime()
    cache = QueryCache(clock=time.now)
    key = cache.key("h", "d", "1", None, "SELECT 1", {"p0": "x"})
    cache.put(key, "answer", cells=1)
    time.advance(59)
    assert cache.get(key, ttl=60) == "answer"
    time.advance(2)
    assert cache.get(key, ttl=60) is None
    cache.put(key, "big", cells=10**9)
    assert cache.get(key, ttl=60) is None  # too large to keep


def test_the_url_takes_max_queries_and_query_cache_ttl() -> None:
    from sqlalchemy.engine import make_url

    args = connect_args_from_url(
        make_url("posthog://:phx_x@localhost:8000/1?max_queries=3&query_cache_ttl=0")
    )
    assert args["max_queries"] == 3 and args["query_cache_ttl"] == 0


def test_events_of_many_persons_by_id_are_one_flat_in(connect: Any, emulator: Any) -> None:
    # Was a 500: SQLite handed the events scan every person id at once, and the translator
    # chained them as thousands of nested ORs, deeper than the emulator's parser recurses.
    sql = "SELECT count(*) FROM events WHERE person_id IN (SELECT id FROM persons)"
    emulator.app.request_log.clear()
    local = connect(pushdown="off", query_cache_ttl=0).cursor()
    (count,) = local.execute(sql).fetchone()
    assert local.route == "sqlite" and len(local.queries) == 1
    assert " IN (" in local.queries[0] and " OR " not in local.queries[0]
    pushed = connect().cursor()
    assert pushed.execute(sql).fetchone() == (count,) and pushed.route == "hogql"
    assert count > 0


def test_an_open_ended_scan_counts_its_rows_before_its_second_page(
    connect: Any, emulator: Any
) -> None:
    # SELECT * pages by PAGE_CELLS: 20,000 events are more than one page.
    cursor = connect(query_cache_ttl=0).cursor()
    emulator.app.request_log.clear()
    rows = cursor.execute("SELECT * FROM events").fetchall()
    total = emulator.app.projects[1].events.run_hogql(
        "SELECT count() FROM events", None, system_tables={}
    )["results"][0][0]
    assert len(rows) == total
    assert cursor.route == "hogql" and len(cursor.queries) == query_requests(emulator) >= 3
    # The estimate grew to the real cost once the first page came back full.
    assert cursor.estimated_queries == len(cursor.queries)
    assert sum("count(" in q.lower() and "LIMIT" not in q for q in cursor.queries) == 1


def test_the_guard_refuses_the_rest_of_a_scan_that_outgrew_it(connect: Any, emulator: Any) -> None:
    # The first estimate (one page) passes max_queries=2, and so does the count; the pages the
    # count shows to come do not, and none is asked.
    cursor = connect(max_queries=2, query_cache_ttl=0).cursor()
    emulator.app.request_log.clear()
    with pytest.raises(OperationalError, match="max_queries=2") as caught:
        cursor.execute("SELECT * FROM events").fetchall()
    assert query_requests(emulator) == 2 == caught.value.details["sent"]
    assert caught.value.details["estimate"] > 2

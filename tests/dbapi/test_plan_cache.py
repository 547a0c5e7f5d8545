"""A connection plans a repeated SELECT once: the cached plan gives the same requests and rows as
a fresh one, and a statement with other bound values gets its own plan."""

from __future__ import annotations

from typing import Any

from posthog_dbapi.dbapi.plans import PlanCache
from posthog_dbapi.sql.pushdown_planner import Fallback

SQL = "SELECT event, count(*) AS n FROM events WHERE event = ? GROUP BY event"


def test_repeated_statement_reuses_its_plan_and_keeps_values_apart(conn: Any) -> None:
    cursor = conn.cursor()
    answers = {}
    for event in ("$pageview", "$autocapture", "$pageview"):
        cursor.execute(SQL, (event,))
        answers.setdefault(event, []).append((cursor.route, cursor.hogql, cursor.fetchall()))
    first, again = answers["$pageview"]
    assert first == again and first[0] == "hogql" and first[2][0][0] == "$pageview"
    assert answers["$autocapture"][0][2][0][0] == "$autocapture"
    assert len(conn.plans._plans) == 2
    fresh = conn.cursor()
    conn.plans = PlanCache()
    fresh.execute(SQL, ("$pageview",))
    assert fresh.fetchall() == first[2]


def test_plan_cache_drops_the_least_recently_used() -> None:
    cache = PlanCache(size=2)
    made: list[str] = []

    def make(name: str) -> Any:
        def build() -> Fallback:
            made.append(name)
            return Fallback(name)

        return build

    for key in ("a", "b", "a", "c", "a", "b"):
        cache.get(key, make(key))
    assert made == ["a", "b", "c", "b"]
    assert cache.get(["unhashable"], make("x")) == Fallback("x")

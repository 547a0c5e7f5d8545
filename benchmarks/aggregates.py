"""Benchmark 2: an aggregate over the demo events, three ways.

- pushdown: the SELECT runs whole inside PostHog as one HogQL query (``pushdown="auto"``);
- local fallback: ``pushdown="off"``: SQLite aggregates rows the HogQL adapter pages in by keyset;
- naive: what existing connectors do: page the legacy ``/events/`` list (1,000 a page, ``before=``
  the last timestamp) and aggregate in Python.

Requests are counted by the emulator. The naive approach's ``before=`` cursor skips events that
share a timestamp with a page edge, so its total is reported next to the true one.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import requests

from benchmarks.common import Env, Result, best_of

__all__ = ["SQL", "naive_counts", "run"]

SQL = "SELECT event, count(*) AS n FROM events GROUP BY event ORDER BY event"


def sql_counts(env: Env, pushdown: str, repeat: int) -> tuple[float, Any, dict[str, int]]:
    """(best seconds, (counts, route), requests of one statement) on one open connection.

    The connection is opened (one request: the project check) before the clock and the request
    counter start, so both cover the statement alone.
    """
    connection = env.connect(pushdown=pushdown, rate_budget=False)
    try:
        cursor = connection.cursor()

        def statement() -> tuple[dict[str, int], str | None]:
            cursor.execute(SQL)
            return {event: int(n) for event, n in cursor.fetchall()}, cursor.route

        env.emulator.reset_counts()
        statement()
        made = env.emulator.counts()
        seconds, value = best_of(repeat, statement)
        return seconds, value, made
    finally:
        connection.close()


def naive_counts(env: Env) -> dict[str, int]:
    session = requests.Session()
    headers = env.headers()
    counts: Counter[str] = Counter()
    url: str | None = env.api("events/?limit=1000")
    while url:
        body: dict[str, Any] = session.get(url, headers=headers, timeout=60).json()
        counts.update(row["event"] for row in body["results"])
        url = body.get("next")
    session.close()
    return dict(counts)


def run(env: Env) -> Result:
    pushed_s, (pushed, route), pushed_req = sql_counts(env, "auto", max(5, env.repeat))
    fallback_s, (fallback, fallback_route), fallback_req = sql_counts(env, "off", 1)
    start = time.perf_counter()
    env.emulator.reset_counts()
    naive = naive_counts(env)
    naive_s = time.perf_counter() - start
    naive_req = env.emulator.counts()

    total = sum(pushed.values())
    speedup = fallback_s / pushed_s
    pushed_queries = pushed_req.get("query", 0)
    met = route == "hogql" and sum(pushed_req.values()) == 1 and speedup >= 50
    result = Result(
        2,
        f"Aggregate over {total:,} events ({SQL})",
        "pushdown is one request and at least 50x faster than the local fallback",
        met,
        f"pushdown {speedup:,.0f}x faster than the fallback, {naive_s / pushed_s:,.0f}x than "
        f"paging /events/; {sum(pushed_req.values())} request",
    )

    def requests_text(made: dict[str, int]) -> str:
        return ", ".join(f"{v} {k}" for k, v in sorted(made.items())) or "none"

    result.add(
        f"pushdown (route {route})",
        f"{pushed_s * 1000:,.0f} ms, {requests_text(pushed_req)} request(s)",
    )
    result.add(
        f"local fallback (pushdown=off, route {fallback_route})",
        f"{fallback_s:,.2f} s, {requests_text(fallback_req)} request(s)",
    )
    result.add(
        "naive: page /events/ by 1,000, count in Python",
        f"{naive_s:,.2f} s, {requests_text(naive_req)} request(s)",
    )
    result.add("fallback / pushdown", f"{speedup:,.0f}x")
    result.add("naive / pushdown", f"{naive_s / pushed_s:,.0f}x")
    result.add(
        "rows counted: pushdown / fallback / naive",
        f"{total:,} / {sum(fallback.values()):,} / {sum(naive.values()):,}",
    )
    if fallback != pushed:
        result.notes.append("The fallback's counts differ from the pushdown's: a correctness bug.")
    if naive != pushed:
        missing = total - sum(naive.values())
        result.notes.append(
            f"The naive /events/ paging lost {missing:,} events: its before= cursor is a "
            "timestamp, so events sharing the timestamp of a page's last row are skipped."
        )
    if pushed_queries != 1:
        result.notes.append(f"Pushdown sent {pushed_queries} Query API requests, not 1.")
    return result

"""Benchmark 10: time to the first row of ``SELECT * FROM events``, against the bare request.

The cursor's time is ``execute`` plus ``fetchone`` on an open connection (the project check and
the schema are fetched before the clock starts). The bare side posts the HogQL of the cursor's
first page with ``requests``, decodes the body with ``json`` and takes its first row: the least
any client could do to show that row, since the Query API answers a page at once.
"""

from __future__ import annotations

from benchmarks.common import Env, Result, best_of
from benchmarks.pushdown_overhead import same_hogql

__all__ = ["SQL", "run"]

SQL = "SELECT * FROM events"


def run(env: Env) -> Result:
    with same_hogql(env, SQL, lambda cursor: cursor.fetchone()) as pair:
        cursor_s, row = best_of(env.repeat, pair.through_cursor)
        assert row is not None
        bare_s, page_rows = best_of(env.repeat, pair.bare)
        route = pair.route
    ratio = cursor_s / bare_s
    result = Result(
        10,
        f"First-row latency of {SQL}",
        "report: the cursor's time to its first row against the bare request's",
        None,
        f"cursor {cursor_s * 1000:,.0f} ms, bare request {bare_s * 1000:,.0f} ms ({ratio:.2f}x)",
    )
    result.add(
        f"cursor: execute + fetchone (route {route})",
        f"{cursor_s * 1000:,.0f} ms; a first page of {page_rows:,} rows",
    )
    result.add("bare: requests.post + json, the same first page", f"{bare_s * 1000:,.0f} ms")
    result.add("cursor / bare", f"{ratio:.2f}x")
    result.notes.append(
        "The first page's size is the cursor's keyset page (about 200,000 cells, so "
        f"{page_rows:,} rows of this width): its time is what both sides wait for; a smaller "
        "first page would show the first row sooner at the cost of more requests."
    )
    return result

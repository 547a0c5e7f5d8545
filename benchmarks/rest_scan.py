"""Benchmark 1: a REST scan through a DB-API cursor against a bare ``requests`` loop.

The bare loop is the physical limit of the API: the same list, the same page size, one
``requests.Session``, ``json`` decoding and nothing else. The cursor runs ``SELECT *``, which the
REST list answers whole (route ``rest``: no SQLite), through the REST adapter, the driver's
anchored pagination and value conversion.

Measured: the cursor as shipped (a full scan asks for the largest page, 1,000 rows), and the same
with ``prefetch_pages=2`` (the driver reads pages ahead on a background thread and sends each
predicted next request as soon as the page before it arrives, before decoding it), each against
the bare loop at the same page size. The bare loop waits for the server and then decodes, page
after page; read-ahead's time per page is the larger of the two, not their sum. The connection
is opened and the table's schema read before the clock starts (the bare loop has no such
setup), so both sides time the same pages.
"""

from __future__ import annotations

from typing import Any

import requests

from benchmarks.common import Env, Result, best_of

__all__ = ["bare_loop", "cursor_scan", "drain", "run"]

TABLE = "annotations"
PAGE = 1000
TARGET = 1.10


def bare_loop(env: Env, path: str, page_size: int) -> tuple[int, int]:
    """(rows, requests): follow ``next`` links with plain requests and ``json``."""
    session = requests.Session()
    headers = env.headers()
    url: str | None = env.api(f"{path}/?limit={page_size}")
    rows = pages = 0
    while url:
        body = session.get(url, headers=headers, timeout=60).json()
        rows += len(body["results"])
        pages += 1
        url = body.get("next")
    session.close()
    return rows, pages


def cursor_scan(env: Env, sql: str, **options: Any) -> int:
    """Rows read by ``SELECT`` through a DB-API cursor, in ``fetchmany(1000)`` batches."""
    connection = env.connect(rate_budget=False, **options)
    try:
        return drain(connection.cursor(), sql)[0]
    finally:
        connection.close()


def drain(cursor: Any, sql: str) -> tuple[int, str | None]:
    """(rows, route) of ``sql`` on ``cursor``, read in ``fetchmany(1000)`` batches."""
    cursor.execute(sql)
    count = 0
    while True:
        batch = cursor.fetchmany(1000)
        if not batch:
            return count, cursor.route
        count += len(batch)


def _scan_on_open_connection(env: Env, sql: str, **options: Any) -> tuple[float, Any, int]:
    """(best seconds, (rows, route), requests of one scan) of ``sql`` on one connection opened,
    with the table's schema read, before the clock and the request counter start: the bare loop
    has no such setup, and its one-time cost per connection is benchmark 4's."""
    connection = env.connect(rate_budget=False, **options)
    try:
        connection.get_fields(TABLE)
        cursor = connection.cursor()
        return _measured(env, lambda: drain(cursor, sql))
    finally:
        connection.close()


def _measured(env: Env, run: Any) -> tuple[float, Any, int]:
    env.emulator.reset_counts()
    seconds, value = best_of(env.repeat, run)
    requests_made = sum(env.emulator.counts().values()) // max(1, env.repeat)
    return seconds, value, requests_made


def run(env: Env) -> Result:
    sql = f"SELECT * FROM {TABLE}"
    # A full scan asks for the resource's largest page (1,000 rows); the bare loop does the same.
    bare, (rows, _), bare_req = _measured(env, lambda: bare_loop(env, TABLE, PAGE))
    shipped, (shipped_rows, route), shipped_req = _scan_on_open_connection(env, sql)
    ahead, (ahead_rows, _), ahead_req = _scan_on_open_connection(env, sql, prefetch_pages=2)

    ratio_shipped = shipped / bare
    ratio_ahead = ahead / bare
    met = ratio_shipped <= TARGET and ratio_ahead < 1.0
    result = Result(
        1,
        f"REST scan of {rows:,} {TABLE}",
        f"cursor within {TARGET:.2f}x of the bare loop; with prefetching faster than the bare loop",
        met,
        f"cursor/bare {ratio_shipped:.2f}x; with prefetch_pages=2 {ratio_ahead:.2f}x",
    )
    for name, seconds, count, made in (
        (f"bare requests loop, page {PAGE}", bare, rows, bare_req),
        (f"cursor (route {route}, full scans page {PAGE})", shipped, shipped_rows, shipped_req),
        ("cursor, prefetch_pages=2", ahead, ahead_rows, ahead_req),
    ):
        result.add(name, f"{seconds:.2f} s, {count / seconds:,.0f} rows/s, {made} requests")
    result.add("cursor / bare loop", f"{ratio_shipped:.2f}x")
    result.add("cursor with read-ahead / bare sequential loop", f"{ratio_ahead:.2f}x")
    if ratio_shipped > TARGET:
        result.notes.append(
            "The client's per-row work (value conversion into Python values, a column at a "
            "time) runs between pages, after each page has arrived."
        )
    if ratio_ahead >= 1.0:
        result.notes.append(
            "Read-ahead overlaps the server's time for a page with the client's decoding and "
            "conversion of the page before (driver/pipeline.py), so it needs a core for each: "
            "on a machine whose cores are taken by other work (see the load above), the "
            "emulator, the read-ahead threads and the other work queue for the same cores."
        )
    return result

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
setup), so both sides time the same pages. The three are timed in turns, a round of each at a
time, with the emulator's own time for each side's requests beside them.
"""

from __future__ import annotations

from typing import Any

import requests

from benchmarks.common import Env, Result, best_of_each

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


def _open(env: Env, **options: Any) -> Any:
    """A connection with the table's schema read, before any clock starts: the bare loop has no
    such setup, and its one-time cost per connection is benchmark 4's."""
    connection = env.connect(rate_budget=False, **options)
    connection.get_fields(TABLE)
    return connection


def run(env: Env) -> Result:
    sql = f"SELECT * FROM {TABLE}"
    shipped_conn = _open(env)
    ahead_conn = _open(env, prefetch_pages=2)
    # name: (requests, server seconds) of each timed scan, read outside the clock.
    served: dict[str, list[tuple[int, float]]] = {}

    def count(name: str) -> None:
        seconds = sum(env.emulator.seconds().values())
        served.setdefault(name, []).append((sum(env.emulator.counts().values()), seconds))
        env.emulator.reset_counts()

    try:
        shipped_cursor, ahead_cursor = shipped_conn.cursor(), ahead_conn.cursor()
        env.emulator.reset_counts()
        # In turns, a round each: the server's speed drifts with the machine's other work, and
        # in blocks (every bare repeat, then every cursor repeat) the drift became the ratio.
        # A full scan asks for the resource's largest page (1,000 rows); the bare loop does
        # the same.
        best = best_of_each(
            env.repeat,
            {
                "bare": lambda: bare_loop(env, TABLE, PAGE),
                "shipped": lambda: drain(shipped_cursor, sql),
                "ahead": lambda: drain(ahead_cursor, sql),
            },
            between=count,
        )
    finally:
        shipped_conn.close()
        ahead_conn.close()
    bare, shipped, ahead = best["bare"].seconds, best["shipped"].seconds, best["ahead"].seconds
    rows = best["bare"].value[0]
    (shipped_rows, route), (ahead_rows, _) = best["shipped"].value, best["ahead"].value

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
    for name, key, seconds, count_rows in (
        (f"bare requests loop, page {PAGE}", "bare", bare, rows),
        (f"cursor (route {route}, full scans page {PAGE})", "shipped", shipped, shipped_rows),
        ("cursor, prefetch_pages=2", "ahead", ahead, ahead_rows),
    ):
        made = served[key][0][0]
        result.add(name, f"{seconds:.2f} s, {count_rows / seconds:,.0f} rows/s, {made} requests")
    result.add("cursor / bare loop", f"{ratio_shipped:.2f}x")
    result.add("cursor with read-ahead / bare sequential loop", f"{ratio_ahead:.2f}x")
    # The emulator's own time for each side's requests (the least of the rounds, as above):
    # equal figures mean the two sides asked the same of the server.
    server = {key: min(s for _, s in runs) for key, runs in served.items()}
    result.add(
        "server time a scan (emulator's, least of the rounds): bare / cursor / read-ahead",
        f"{server['bare']:.2f} s / {server['shipped']:.2f} s / {server['ahead']:.2f} s",
    )
    result.add(
        "client time above the server's: bare / cursor",
        f"{bare - server['bare']:.2f} s / {shipped - server['shipped']:.2f} s",
    )
    result.add(
        "client CPU a scan (this process's, least of the rounds): bare / cursor / read-ahead",
        f"{best['bare'].cpu_seconds:.2f} s / {best['shipped'].cpu_seconds:.2f} s / "
        f"{best['ahead'].cpu_seconds:.2f} s",
    )
    pages = served["shipped"][0][0]
    result.notes.append(
        "The three scans are timed in turns, a round each, each side's fastest round kept. "
        "The cursor's pages overlap by one row (each starts at the last row of the page before, "
        f"to notice a list that shifted): it asks for {pages} pages of up to {PAGE:,} rows, the "
        f"bare loop for {served['bare'][0][0]}, and it decodes {max(0, pages - 1)} rows more."
    )
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

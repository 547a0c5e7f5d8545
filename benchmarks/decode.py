"""Benchmark 6: client CPU per row for event pages, against ``json`` alone on the same bodies.

CPU is the client process's (``time.process_time``): the emulator runs in another process, so
server work is not counted. The package's path is a pushed-down ``SELECT *`` over events read
with ``fetchmany``: HTTP, JSON decoding, type conversion (timestamps, JSON columns) and the
cursor. The baseline posts the same HogQL page queries with ``requests`` and decodes the bodies
with ``json.loads``; ``json.loads`` alone is also timed on the bodies already in memory.
"""

from __future__ import annotations

import json
import time
from typing import Any

import requests

from benchmarks.common import Env, Result

__all__ = ["run"]

ROWS = 200_000


def _package(env: Env) -> tuple[float, int, list[str]]:
    connection = env.connect(rate_budget=False)
    try:
        cursor = connection.cursor()
        start = time.process_time()
        cursor.execute(f"SELECT * FROM events LIMIT {ROWS}")
        count = 0
        while True:
            batch = cursor.fetchmany(10000)
            if not batch:
                break
            count += len(batch)
        return time.process_time() - start, count, list(cursor.queries)
    finally:
        connection.close()


def _bodies(env: Env, queries: list[str]) -> tuple[float, list[bytes]]:
    """Client CPU to fetch the first page's body ``len(queries)`` times, and the bodies."""
    session = requests.Session()
    bodies = []
    start = time.process_time()
    for _ in queries:
        response = session.post(
            env.api("query/"),
            headers=env.headers(),
            json={"query": {"kind": "HogQLQuery", "query": queries[0]}},
            timeout=120,
        )
        bodies.append(response.content)
    session.close()
    return time.process_time() - start, bodies


def run(env: Env) -> Result:
    package_cpu, rows, queries = _package(env)
    # The keyset pages after the first need the previous page's last key as values; the first
    # page's query has none, and every page has the same width, so it stands in for each.
    fetch_cpu, bodies = _bodies(env, queries)
    start = time.process_time()
    decoded: Any = [json.loads(body) for body in bodies]
    json_cpu = time.process_time() - start
    json_rows = sum(len(body["results"]) for body in decoded)
    del decoded
    per_row_package = package_cpu / rows * 1e6
    per_row_json = json_cpu / json_rows * 1e6
    per_row_bare = (fetch_cpu + json_cpu) / json_rows * 1e6
    result = Result(
        6,
        f"Client CPU per event row ({rows:,} rows of SELECT * FROM events, {len(queries)} pages)",
        "report: client CPU per row against the standard json module alone",
        None,
        f"{per_row_package:.1f} us/row, {per_row_package / per_row_json:.1f}x json.loads alone, "
        f"{per_row_package / per_row_bare:.1f}x requests + json.loads",
    )
    result.add(
        "package: execute + fetchmany (HTTP, decode, convert)", f"{per_row_package:.1f} us/row"
    )
    result.add("bare: requests.post + json.loads, same pages", f"{per_row_bare:.1f} us/row")
    result.add("json.loads alone on the same bodies", f"{per_row_json:.1f} us/row")
    result.add(
        "conversion and plumbing above the bare loop",
        f"{per_row_package - per_row_bare:.1f} us/row",
    )
    return result

"""Pushdown aggregates under random faults give exactly the fault-free answers.

For each fault rate (10% and 30%) and each of 20 seeds (chosen so that every run meets at
least one fault, which it asserts), the emulator fails that fraction of
requests with the read mix of ``conftest.READ_FAULTS`` (429 with ``Retry-After``, 5xx, resets,
read timeouts, truncated bodies), and a set of SELECTs that run whole as HogQL (aggregates over
events, persons and sessions, and a LIMIT scan) must return the rows a fault-free run returns.
A Query API request is a read: the driver retries it with the same ``client_query_id``.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import READ_FAULTS, SERVER_HOLD, fault_runs, faults_of, record

STATEMENTS = (
    "SELECT event, count(*) FROM events GROUP BY event ORDER BY event",
    "SELECT count(DISTINCT distinct_id), min(timestamp), max(timestamp) FROM events",
    "SELECT date(timestamp) AS day, count(*) FROM events WHERE event = '$pageview' "
    "GROUP BY day ORDER BY day",
    "SELECT json_extract(properties, '$.plan') AS plan, count(*) FROM persons GROUP BY plan",
    'SELECT count(*), sum("$pageview_count"), max("$session_duration") FROM sessions',
    "SELECT count(*), count(DISTINCT person_id) FROM person_distinct_ids",
    "SELECT uuid, event FROM events ORDER BY timestamp DESC, uuid LIMIT 300",
)

_baseline: dict[str, list[tuple[Any, ...]]] = {}


def _run(conn: Any) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    cursor = conn.cursor()
    for sql in STATEMENTS:
        cursor.execute(sql)
        assert cursor.route == "hogql", (sql, cursor.route_reason)
        rows = cursor.fetchall()
        out[sql] = rows if "ORDER BY" in sql else sorted(rows, key=repr)
    return out


# Each statement is at least one /query/ request, so each run meets a fault.
@pytest.mark.parametrize(("rate", "seed"), fault_runs(draws=len(STATEMENTS)))
def test_pushdown_aggregates_are_exact_under_faults(
    emulator: Any, make_conn: Any, rate: float, seed: int
) -> None:
    emulator.app.faults.timeout_delay = SERVER_HOLD
    conn = make_conn()
    if not _baseline:
        _baseline.update(_run(conn))
    emulator.app.request_log.clear()
    emulator.app.faults.set_random(rate, READ_FAULTS, seed=seed)
    got = _run(conn)
    injected = faults_of(emulator)
    # A timed-out request is logged when the emulator ends its hold, maybe after the test ends.
    retried = [
        f
        for f in emulator.app.faults.injected
        if f.path.endswith("/query/") and f.kind != "timeout"
    ]
    emulator.app.faults.clear()
    assert got == _baseline
    assert sum(injected.values()) > 0 and set(injected) <= set(READ_FAULTS), injected
    queries = [r for r in emulator.app.request_log if r.path.endswith("/query/")]
    # Every failed Query API request was answered by a retry, on top of one per statement.
    assert len(queries) >= len(STATEMENTS) + len(retried)
    record(
        f"pushdown aggregates at {int(rate * 100)}% faults",
        runs=1,
        statements=len(STATEMENTS),
        faults=sum(injected.values()),
        rows_compared=sum(len(rows) for rows in got.values()),
        query_requests=len(queries),
        **{f"fault_{k}": v for k, v in injected.items()},
    )

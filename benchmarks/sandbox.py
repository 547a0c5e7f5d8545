"""Benchmark 7: what the sandbox costs local evaluation (``posthog_dbapi.dbapi.sandbox``).

Two ratios, each against a baseline measured in the same run:

- a CPU-bound statement (a recursive CTE counting to ``CTE_ROWS``) on a sandboxed DB-API
  connection (authorizer, progress handler checking the deadline, ``statement_timeout`` on)
  against the same statement on a bare apsw connection: the progress handler's price;
- ``fetchone()`` over ``FETCH_ROWS`` rows with ``statement_timeout`` on against off: the price
  of starting and stopping the statement's clock around each fetch call.

Each pair is timed in turns (``best_of_each``): a round runs both sides once, so a change in the
machine's other work between rounds meets both alike. The ratios are by wall clock; the same
runs' CPU time is reported beside them (all of it is this process's work, so on a loaded
machine it shows the sandbox's own cost without the waits for a core).
"""

from __future__ import annotations

from typing import Any

import apsw

from benchmarks.common import Env, Result, best_of_each

__all__ = ["run"]

CTE_ROWS = 2_000_000
FETCH_ROWS = 100_000
TARGET = 1.10
ROUNDS = 5


def _cte(rows: int) -> str:
    return (
        f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT {rows}) "
        "SELECT count(*), sum(x % 7) FROM c"
    )


def _fetch_one_by_one(connection: Any, rows: int) -> int:
    cursor = connection.cursor()
    cursor.execute(
        f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT {rows}) "
        "SELECT x FROM c"
    )
    count = 0
    while cursor.fetchone() is not None:
        count += 1
    return count


def run(env: Env) -> Result:
    cte = _cte(CTE_ROWS)
    bare = apsw.Connection(":memory:")
    timed = env.connect()  # statement_timeout at its default
    untimed = env.connect(statement_timeout=0)
    try:
        cursor = timed.cursor()
        # Each side takes well under a second: more rounds than the other benchmarks' cost
        # little and steady the minimum.
        rounds = max(env.repeat, ROUNDS)
        ctes = best_of_each(
            rounds,
            {
                "bare": lambda: bare.execute(cte).fetchall(),
                "ours": lambda: cursor.execute(cte).fetchall(),
            },
        )
        fetches = best_of_each(
            rounds,
            {
                "on": lambda: _fetch_one_by_one(timed, FETCH_ROWS),
                "off": lambda: _fetch_one_by_one(untimed, FETCH_ROWS),
            },
        )
    finally:
        timed.close()
        untimed.close()
        bare.close()
    bare_s, ours_s = ctes["bare"].seconds, ctes["ours"].seconds
    bare_answer, ours_answer = ctes["bare"].value, ctes["ours"].value
    fetch_on_s, fetch_off_s = fetches["on"].seconds, fetches["off"].seconds
    fetched = fetches["on"].value

    ratio = ours_s / bare_s
    fetch_ratio = fetch_on_s / fetch_off_s
    result = Result(
        7,
        f"Sandbox cost: a {CTE_ROWS:,}-row recursive CTE and {FETCH_ROWS:,} fetchone() calls",
        f"sandboxed CTE at most {TARGET:.2f}x bare apsw",
        ratio <= TARGET,
        f"CTE {ratio:.2f}x bare apsw; fetchone() with a timeout {fetch_ratio:.2f}x without",
    )
    result.add("recursive CTE, bare apsw connection", f"{bare_s:.3f} s")
    result.add("recursive CTE, sandboxed connection (timeout on)", f"{ours_s:.3f} s")
    cpu_ratio = ctes["ours"].cpu_seconds / ctes["bare"].cpu_seconds
    result.add(
        "recursive CTE by CPU time (this process's): sandboxed / bare",
        f"{ctes['ours'].cpu_seconds:.3f} s / {ctes['bare'].cpu_seconds:.3f} s ({cpu_ratio:.2f}x)",
    )
    result.add(
        f"{fetched:,} fetchone(), statement_timeout on",
        f"{fetch_on_s:.3f} s ({fetch_on_s / fetched * 1e6:.2f} us a row)",
    )
    result.add(
        f"{fetched:,} fetchone(), statement_timeout off",
        f"{fetch_off_s:.3f} s ({fetch_off_s / fetched * 1e6:.2f} us a row)",
    )
    fetch_cpu = fetches["on"].cpu_seconds / fetches["off"].cpu_seconds
    result.add(
        "fetchone() by CPU time: timeout on / off",
        f"{fetches['on'].cpu_seconds:.3f} s / {fetches['off'].cpu_seconds:.3f} s "
        f"({fetch_cpu:.2f}x)",
    )
    if [tuple(r) for r in ours_answer] != [tuple(r) for r in bare_answer]:
        result.notes.append("The sandboxed answer differs from bare apsw's: a correctness bug.")
    result.notes.append(
        "The progress handler runs every 10,000 SQLite steps (about 3,800 calls for this "
        "CTE, under 2 ms); the statement's clock is two monotonic() reads per execute or fetch "
        "call, and the watchdog thread is joined only by a call that sends a Query API request."
    )
    return result

"""``python -m benchmarks.number_parse``: how long PostHog's own HogQL parser takes over the HogQL
sent for numbers over JSON properties (`posthog_dbapi.sql.pushdown_numbers`).

PostHog parses every query it is sent, and its parser slows down steeply with nesting, so each
shape's parse time is part of its cost. Each statement is planned, its HogQL parsed with
``hogql_parser`` (best of five), and reported in seconds and as a ratio to a baseline shape the
translator sent before (a property compared with a number), measured in the same run: the ratio
holds on a loaded machine, the seconds do not.
"""

from __future__ import annotations

import time

from posthog_dbapi.sql.pushdown_planner import PushdownPlan, plan
from posthog_emulator.hogql_check import hogql_parser

__all__ = ["SHAPES", "main"]

R = "json_extract(properties, '$.revenue')"
BASELINE = f"SELECT count(*) FROM events WHERE {R} > 50"
SHAPES = [
    f"SELECT sum({R}) FROM events",
    f"SELECT avg({R}), total({R}), min({R}), max({R}), count({R}) FROM events",
    f"SELECT event, round(avg({R}), 2) AS aov, sum({R}) / count(*) AS per_event FROM events "
    "GROUP BY event ORDER BY aov DESC",
    f"SELECT event, sum({R}) AS s FROM events GROUP BY event HAVING sum({R}) > 100 ORDER BY s",
    f"SELECT uuid, {R} * 2, {R} + 1, {R} / 3, -{R} FROM events LIMIT 100",
    f"SELECT count(*) FROM events WHERE {R} + 1 > 50",
    f"SELECT count(*) FROM events WHERE {R} * 2 <= json_extract(properties, '$.cost') "
    f"OR {R} / json_extract(properties, '$.cost') = 4",
    f"SELECT uuid, ({R} + 1) * (json_extract(properties, '$.cost') - 1) AS x FROM events "
    "ORDER BY x DESC LIMIT 10",
    # Conversions and aggregates of arithmetic (`pushdown_numconv`, `pushdown_numagg`).
    f"SELECT uuid, {R} % 3 FROM events LIMIT 100",
    f"SELECT uuid, {R} % json_extract(properties, '$.cost') FROM events LIMIT 100",
    f"SELECT sum({R} * 2) FROM events",
    f"SELECT avg({R} + 1), total({R} * 2), min({R} / 100.0), max({R} + 1) FROM events",
    f"SELECT sum(coalesce({R}, 0)), avg(coalesce({R}, 0)) FROM events",
    "SELECT strftime('%H', timestamp) / 6 AS q, count(*) FROM events GROUP BY q",
    "SELECT CAST(strftime('%Y', timestamp) AS INTEGER) AS y, count(*) FROM events GROUP BY y",
    f"SELECT CAST({R} AS INTEGER) AS r, count(*) FROM events GROUP BY r",
    f"SELECT CAST({R} AS REAL) AS r, count(*) FROM events GROUP BY r",
    f"SELECT typeof({R}), count(*) FROM events GROUP BY 1",
    f"SELECT uuid, abs({R}) FROM events LIMIT 100",
    "SELECT uuid, CAST(substr(distinct_id, 1, 3) AS INTEGER), substr(distinct_id, 1, 2) + 1 "
    "FROM events LIMIT 100",
]


def parse_seconds(hogql: str, repeat: int = 5) -> float:
    parser = hogql_parser
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        parser.parse_select_json(hogql)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    base = parse_seconds(_hogql(BASELINE))
    print(f"baseline {base:.3f} s  {BASELINE}")
    slowest = 0.0
    for sql in SHAPES:
        seconds = parse_seconds(_hogql(sql))
        slowest = max(slowest, seconds)
        print(f"{seconds:7.3f} s  {seconds / base:5.1f}x  {sql[:90]}")
    print(f"slowest {slowest:.3f} s ({slowest / base:.1f}x the baseline)")


def _hogql(sql: str) -> str:
    chosen = plan(sql, [])
    if not isinstance(chosen, PushdownPlan):
        raise SystemExit(f"not pushed down ({chosen.reason}): {sql}")
    return chosen.hogql


if __name__ == "__main__":
    main()

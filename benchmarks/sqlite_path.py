"""Benchmark 5: rows per second of the client's own work, for ``SELECT *`` and a GROUP BY.

The table is a REST resource of 100,000 rows. Measurements:

- end to end: the cursor against the emulator (full scans at page 1,000, so the server is not the
  only thing measured), next to the bare ``requests`` loop over the same pages;
- the client alone: the same cursor over a driver that answers from records fetched beforehand
  (``Recorded``), so only the REST adapter's conversion, the cursor's and (for the GROUP BY)
  SQLite's work are timed. ``SELECT *`` takes the ``rest`` route (no SQLite); the same rows
  forced through SQLite (the rest route turned off) are reported beside it. The GROUP BY runs on
  a native copy of the rows it reads (``dbapi/native.py``); the same statement on the virtual
  table (``native_scans`` off) is timed beside it. The targets are about these numbers;
- the ceiling: the same rows in a native SQLite table (apsw), same statements.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import apsw

from benchmarks.common import Env, Result, best_of
from benchmarks.rest_scan import bare_loop, cursor_scan

__all__ = ["Recorded", "run"]

TABLE = "actions"
GROUP_SQL = (
    "SELECT substr(created_at, 1, 7) AS month, count(*) AS n, sum(post_to_slack) AS slack "
    f"FROM {TABLE} GROUP BY month ORDER BY month"
)
SELECT_TARGET = 200_000
GROUP_TARGET = 300_000


class Recorded:
    """A driver whose unfiltered list scans answer from records read once beforehand; everything
    else is the wrapped driver's."""

    def __init__(self, driver: Any) -> None:
        self._driver = driver
        self.records: dict[str, list[dict[str, Any]]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._driver, name)

    def record(self, name: str) -> int:
        self.records[name] = list(self._driver.iter_records(name, page_size=1000))
        return len(self.records[name])

    def iter_records(
        self,
        name: str,
        params: Any = None,
        *,
        page_size: int | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        if params or name not in self.records:
            return self._driver.iter_records(
                name, params, page_size=page_size, offset=offset, limit=limit
            )
        rows = self.records[name]
        end = None if limit is None else offset + limit
        return iter(rows[offset:end])


def _drain(cursor: Any) -> int:
    count = 0
    while True:
        batch = cursor.fetchmany(10000)
        if not batch:
            return count
        count += len(batch)


def _native(rows: list[tuple[Any, ...]], names: list[str]) -> apsw.Connection:
    db = apsw.Connection(":memory:")
    columns = ", ".join(f'"{n}"' for n in names)
    db.execute(f"CREATE TABLE {TABLE} ({columns})")
    marks = ", ".join("?" for _ in names)

    def stored(value: Any) -> Any:
        return value.isoformat() if isinstance(value, (dt.datetime, dt.date)) else value

    with db:
        db.executemany(
            f"INSERT INTO {TABLE} VALUES ({marks})", [tuple(map(stored, r)) for r in rows]
        )
    return db


def run(env: Env) -> Result:
    from posthog_dbapi import PostHogDriver

    select_sql = f"SELECT * FROM {TABLE}"
    bare_s, (rows, _) = best_of(1, lambda: bare_loop(env, TABLE, 1000))
    e2e_s, e2e_rows = best_of(1, lambda: cursor_scan(env, select_sql))

    real = PostHogDriver(
        api_url=env.emulator.url,
        api_key=env.emulator.api_key,
        project_id=env.emulator.project_id,
        rate_budget=False,
    )
    recorded = Recorded(real)
    recorded.record(TABLE)
    connection = env.connect(driver=recorded)
    try:
        cursor = connection.cursor()

        def select_all() -> int:
            cursor.execute(select_sql)
            return _drain(cursor)

        def select_in_sqlite() -> int:
            saved = connection.rest_tables
            connection.rest_tables = frozenset()
            try:
                cursor.execute(select_sql)
                return _drain(cursor)
            finally:
                connection.rest_tables = saved

        def group_by() -> int:
            cursor.execute(GROUP_SQL)
            cursor.fetchall()
            return len(recorded.records[TABLE])

        def group_virtual() -> int:
            connection.native_scans = False
            try:
                return group_by()
            finally:
                connection.native_scans = True

        select_s, select_rows = best_of(env.repeat, select_all)
        select_route = cursor.route
        group_s, _ = best_of(env.repeat, group_by)
        group_route = cursor.route
        copied = cursor.native_rows
        virtual_s, _ = best_of(env.repeat, group_virtual)
        forced_s, _ = best_of(env.repeat, select_in_sqlite)
        cpu = time.process_time
        select_cpu, _ = best_of(env.repeat, select_all, clock=cpu)
        group_cpu, _ = best_of(env.repeat, group_by, clock=cpu)
        virtual_cpu, _ = best_of(env.repeat, group_virtual, clock=cpu)
        cursor.execute(select_sql)
        names = [d[0] for d in cursor.description or []]
        all_rows = cursor.fetchall()
        cursor.execute(GROUP_SQL)
        ours = cursor.fetchall()
        connection.native_scans = False
        cursor.execute(GROUP_SQL)
        virtual_rows = cursor.fetchall()
        connection.native_scans = True
    finally:
        connection.close()
        real.close()

    db = _native(all_rows, names)
    native_select_s, _ = best_of(env.repeat, lambda: sum(1 for _ in db.execute(select_sql)))
    native_group_s, native_rows = best_of(env.repeat, lambda: list(db.execute(GROUP_SQL)))
    native_select_cpu, _ = best_of(
        env.repeat, lambda: sum(1 for _ in db.execute(select_sql)), clock=time.process_time
    )
    native_group_cpu, _ = best_of(
        env.repeat, lambda: list(db.execute(GROUP_SQL)), clock=time.process_time
    )
    db.close()

    select_rate = select_rows / select_s
    group_rate = select_rows / group_s
    native_select = select_rows / native_select_s
    native_group = select_rows / native_group_s
    met = select_rate >= SELECT_TARGET and group_rate >= GROUP_TARGET
    result = Result(
        5,
        f"Client work over {select_rows:,} {TABLE} rows (records in memory)",
        f"SELECT * at least {SELECT_TARGET:,} rows/s, GROUP BY at least {GROUP_TARGET:,} rows/s",
        met,
        f"SELECT * {select_rate:,.0f} rows/s (native SQLite {native_select:,.0f}), "
        f"GROUP BY {group_rate:,.0f} rows/s (native {native_group:,.0f})",
    )
    result.add(
        f"SELECT *, route {select_route}",
        f"{select_s:.3f} s, {select_rate:,.0f} rows/s ({select_s / native_select_s:.1f}x native)",
    )
    result.add(
        f"GROUP BY, route {group_route}, on a native copy ({copied or 0:,} rows copied)",
        f"{group_s:.3f} s, {group_rate:,.0f} rows/s ({group_s / native_group_s:.1f}x native)",
    )
    result.add(
        "GROUP BY on the virtual table (native_scans off)",
        f"{virtual_s:.3f} s, {select_rows / virtual_s:,.0f} rows/s",
    )
    result.add(
        "SELECT *, forced through SQLite (rest route off)",
        f"{forced_s:.3f} s, {select_rows / forced_s:,.0f} rows/s",
    )
    result.add(
        "SELECT *, native SQLite table (ceiling)",
        f"{native_select_s:.3f} s, {native_select:,.0f} rows/s",
    )
    result.add(
        "GROUP BY, native SQLite table (ceiling)",
        f"{native_group_s:.3f} s, {native_group:,.0f} rows/s",
    )
    result.add(
        "SELECT * by CPU time (this process's)",
        f"{select_rows / select_cpu:,.0f} rows/s ({select_cpu / native_select_cpu:.1f}x native's "
        f"{select_rows / native_select_cpu:,.0f} rows/s)",
    )
    result.add(
        "GROUP BY by CPU time (this process's)",
        f"{select_rows / group_cpu:,.0f} rows/s ({group_cpu / native_group_cpu:.1f}x native's "
        f"{select_rows / native_group_cpu:,.0f} rows/s)",
    )
    result.add(
        "GROUP BY on the virtual table by CPU time",
        f"{select_rows / virtual_cpu:,.0f} rows/s",
    )
    result.add(
        "SELECT *, end to end over HTTP (page 1000)",
        f"{e2e_s:.2f} s, {e2e_rows / e2e_s:,.0f} rows/s",
    )
    result.add(
        "bare requests loop, same pages",
        f"{bare_s:.2f} s, {rows / bare_s:,.0f} rows/s (end to end / bare {e2e_s / bare_s:.2f}x)",
    )
    if not met:
        result.notes.append(
            f"The native table read {native_select:,.0f} rows/s (SELECT *) and "
            f"{native_group:,.0f} rows/s (GROUP BY) in this run: the targets are "
            f"{SELECT_TARGET / native_select:.0%} and {GROUP_TARGET / native_group:.0%} of those "
            "ceilings, and other work on the machine slows both sides alike."
        )
    if [tuple(r) for r in ours] != [tuple(r) for r in native_rows]:
        result.notes.append("The GROUP BY differs from native SQLite's: a correctness bug.")
    if ours != virtual_rows:
        result.notes.append("The GROUP BY differs from the virtual table's: a correctness bug.")
    result.notes.append(
        "SELECT * slices each fetch's records out of the page cache and converts them 256 at a "
        "time, a column at a time by C-level loops (a column already of its Python type is not "
        "touched, timestamps are parsed by one map, a repeated JSON object is encoded once). "
        "The GROUP BY reads its whole table, so SQLite is first asked which columns and filters "
        "it would scan; those records are copied into a private native table (only the columns "
        "read, a column at a time, multi-row INSERTs) and the statement runs there, with no "
        "callback into Python per row or cell; on the virtual table SQLite calls back for "
        "every row and every cell it reads."
    )
    return result

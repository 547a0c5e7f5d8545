"""Benchmark 5: rows per second on the SQLite path, for ``SELECT *`` and a GROUP BY.

The table is a REST resource of 100,000 rows. Three measurements:

- end to end: the cursor against the emulator (full scans at page 1,000, so the server is not the
  only thing measured), next to the bare ``requests`` loop over the same pages;
- the SQLite path alone: the same cursor over a driver that answers from records fetched
  beforehand (``Recorded``), so only SQLite, the virtual table, the REST adapter's conversion and
  the cursor's are timed. The 100,000 rows/s target is about this number;
- the ceiling: the same rows in a native SQLite table (apsw), same statements.
"""

from __future__ import annotations

import datetime as dt
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
TARGET = 100_000


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

        def group_by() -> int:
            cursor.execute(GROUP_SQL)
            cursor.fetchall()
            return len(recorded.records[TABLE])

        select_s, select_rows = best_of(env.repeat, select_all)
        group_s, _ = best_of(env.repeat, group_by)
        cursor.execute(select_sql)
        names = [d[0] for d in cursor.description or []]
        all_rows = cursor.fetchall()
        cursor.execute(GROUP_SQL)
        ours = cursor.fetchall()
    finally:
        connection.close()
        real.close()

    db = _native(all_rows, names)
    native_select_s, _ = best_of(env.repeat, lambda: sum(1 for _ in db.execute(select_sql)))
    native_group_s, native_group = best_of(env.repeat, lambda: list(db.execute(GROUP_SQL)))
    db.close()

    select_rate = select_rows / select_s
    group_rate = select_rows / group_s
    met = select_rate >= TARGET
    result = Result(
        5,
        f"SQLite path over {select_rows:,} {TABLE} rows",
        f"SELECT * at least {TARGET:,} rows/s",
        met,
        f"SELECT * {select_rate:,.0f} rows/s ({native_select_s / select_s:.2f}x native SQLite), "
        f"GROUP BY {group_rate:,.0f} rows/s",
    )
    result.add(
        "SELECT *, SQLite path (records in memory)",
        f"{select_s:.2f} s, {select_rate:,.0f} rows/s",
    )
    result.add(
        "GROUP BY, SQLite path (records in memory)",
        f"{group_s:.2f} s, {group_rate:,.0f} rows/s",
    )
    result.add(
        "SELECT *, native SQLite table (ceiling)",
        f"{native_select_s:.3f} s, {select_rows / native_select_s:,.0f} rows/s",
    )
    result.add(
        "GROUP BY, native SQLite table (ceiling)",
        f"{native_group_s:.3f} s, {select_rows / native_group_s:,.0f} rows/s",
    )
    result.add(
        "SELECT *, end to end over HTTP (page 1000)",
        f"{e2e_s:.2f} s, {e2e_rows / e2e_s:,.0f} rows/s",
    )
    result.add(
        "bare requests loop, same pages",
        f"{bare_s:.2f} s, {rows / bare_s:,.0f} rows/s (end to end / bare {e2e_s / bare_s:.2f}x)",
    )
    if [tuple(r) for r in ours] != [tuple(r) for r in native_group]:
        result.notes.append("The GROUP BY differs from native SQLite's: a correctness bug.")
    result.notes.append(
        "Per row the SQLite path converts each API value to a Python value (REST adapter), "
        "to SQLite's storage value (virtual table) and back for the cursor (timestamps)."
    )
    return result

"""Reads under random faults return exactly the rows a fault-free read returns.

For each fault rate (10% and 30%) and each of 20 seeds, the emulator fails that fraction of API
requests with a random mix of 429 (with ``Retry-After``), 500, 502, 503, 504, connection resets,
read timeouts and truncated bodies. Then:

- every REST table is scanned in full through the driver, in small pages so that faults land
  between pages;
- the events of a project are read by keyset through the Query API, with many events sharing
  one timestamp so that page edges fall inside ties;
- the main REST tables are read with ``SELECT *`` through the DB-API cursor;

and each result is compared, row by row and in order, with the fault-free result: nothing lost,
nothing repeated, nothing changed.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest

from posthog_dbapi.driver import PaginationStyle, get_directory

from .conftest import READ_FAULTS, SERVER_HOLD, fault_runs, faults_of, record

EVENTS_PROJECT = 7
SQL_TABLES = ("dashboards", "feature_flags", "insights", "cohorts", "annotations", "persons")
"""Read through the cursor too (every table is read through the driver)."""


def rest_tables() -> list[str]:
    directory = get_directory()
    return [
        name
        for name in directory.names()
        if directory.route(name).can_list
        and directory.route(name).pagination is not PaginationStyle.KEYSET
    ]


def page_size_for(count: int) -> int:
    # About five pages per table: enough page edges for faults to land on.
    return max(3, count // 5)


def add_event_project(emulator: Any) -> int:
    """A project with 240 events; 60 of them share one timestamp, to put page edges in ties."""
    emulator.app.add_project(EVENTS_PROJECT)
    base = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
    events = []
    for i in range(240):
        moment = base if i < 60 else base + dt.timedelta(minutes=i)
        events.append(
            {
                "uuid": str(uuid.UUID(int=i + 1, version=4)),
                "event": ("$pageview", "signed_up", "$autocapture")[i % 3],
                "distinct_id": f"user-{i % 17}",
                "timestamp": moment.isoformat(),
                "properties": {"n": i, "path": f"/p/{i % 5}"},
            }
        )
    emulator.app.projects[EVENTS_PROJECT].events.add_events(events)
    return len(events)


def scan_everything(driver: Any, sizes: dict[str, int]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for name, size in sizes.items():
        out[name] = [
            json.dumps(r, sort_keys=True) for r in driver.iter_records(name, page_size=size)
        ]
    return out


def _ids(rows: list[str]) -> list[Any]:
    return [json.loads(r).get("id") for r in rows]


_BASELINE: dict[str, Any] = {}


def baseline(driver: Any, events_driver: Any, cur: Any) -> dict[str, Any]:
    """The fault-free REST results (the emulator restores the same data before each test)."""
    if not _BASELINE:
        sizes = {n: page_size_for(len(list(driver.iter_records(n)))) for n in rest_tables()}
        _BASELINE["sizes"] = sizes
        _BASELINE["scan"] = scan_everything(driver, sizes)
        sql = {}
        for name in SQL_TABLES:
            cur.execute(f"SELECT * FROM {name}")
            sql[name] = cur.fetchall()
        _BASELINE["sql"] = sql
    return _BASELINE


# A run lists every REST table and pages the events: far more than 20 requests.
@pytest.mark.parametrize(("rate", "seed"), fault_runs(draws=20))
def test_full_scans_and_keyset_scans_are_exact_under_faults(
    emulator: Any, make_driver: Any, make_conn: Any, rate: float, seed: int
) -> None:
    emulator.app.faults.timeout_delay = SERVER_HOLD
    total_events = add_event_project(emulator)
    driver = make_driver()
    events_driver = make_driver(project_id=EVENTS_PROJECT)
    conn = make_conn()
    cur = conn.cursor()
    base = baseline(driver, events_driver, cur)
    sizes, expected = base["sizes"], base["scan"]
    expected_sql = base["sql"]
    # Per test: the event project's anonymous persons get new ids each time it is made.
    expected_events = list(events_driver.iter_records("events", page_size=40))
    assert len(expected_events) == total_events

    emulator.app.faults.set_random(rate, READ_FAULTS, seed=seed)
    got = scan_everything(driver, sizes)
    got_events = list(events_driver.iter_records("events", page_size=40))
    got_sql = {}
    for name in SQL_TABLES:
        cur.execute(f"SELECT * FROM {name}")
        got_sql[name] = cur.fetchall()
    injected = faults_of(emulator)
    emulator.app.faults.clear()

    for name in sizes:
        assert _ids(got[name]) == _ids(expected[name]), name  # none lost, none repeated
        assert got[name] == expected[name], name
    for name in SQL_TABLES:
        assert got_sql[name] == expected_sql[name], name
    assert [e["uuid"] for e in got_events] == [e["uuid"] for e in expected_events]
    assert got_events == expected_events
    assert sum(injected.values()) > 0 and set(injected) <= set(READ_FAULTS), injected
    rows = sum(len(v) for v in got.values()) + len(got_events)
    rows += sum(len(v) for v in got_sql.values())
    record(
        f"reads at {int(rate * 100)}% faults",
        runs=1,
        faults=sum(injected.values()),
        rows_compared=rows,
        **{f"fault_{k}": v for k, v in injected.items()},
    )


@pytest.mark.soak
@pytest.mark.parametrize(("rate", "seed"), fault_runs(draws=20, count=200, start=100))
def test_soak_reads_under_faults(
    emulator: Any, make_driver: Any, make_conn: Any, rate: float, seed: int
) -> None:
    test_full_scans_and_keyset_scans_are_exact_under_faults(
        emulator, make_driver, make_conn, rate, seed
    )

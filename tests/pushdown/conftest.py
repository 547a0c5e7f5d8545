"""Fixtures of the pushdown tests: a driver on the session emulator, and the SQLite fallback.

The fallback database is what the SQLite route computes over: every row of the HogQL tables,
copied straight from the emulator's event store by `tests.oracle` (not through the Query API,
the HogQL adapter or its keyset pager, which the tests compare against it), stored as the
virtual table stores them (timestamps as ``isoformat()`` text; the project's wall-clock text on a
``timezone="project"`` connection).

``ZONES`` are the projects the differential suite runs in: the session emulator's UTC project,
and a second emulator whose projects are in ``America/Los_Angeles`` (its demo data spans the
2024-03-10 change to summer time) and ``Asia/Kathmandu`` (+05:45), with small demo data.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from posthog_dbapi import PostHogDriver
from posthog_emulator import Emulator, EmulatorServer
from posthog_emulator.eventstore import EventStore
from tests.oracle import oracle_db


def make_driver(server: EmulatorServer, **kwargs: Any) -> PostHogDriver:
    return PostHogDriver(
        api_url=server.url,
        api_key=server.api_key,
        project_id=server.project_id,
        sleep=lambda seconds: None,
        **kwargs,
    )


@pytest.fixture
def driver(emulator: EmulatorServer) -> Iterator[PostHogDriver]:
    with make_driver(emulator) as drv:
        yield drv


@pytest.fixture(scope="session")
def fallback_db(emulator_server: EmulatorServer) -> Iterator[sqlite3.Connection]:
    db = oracle_db(emulator_server.app.projects[1].events)
    yield db
    db.close()


# (project name, emulator, project id); the zoned projects' data ends on this day.
ZONED_NOW = dt.datetime(2024, 4, 15, tzinfo=dt.timezone.utc)
ZONES = {"UTC": 1, "America/Los_Angeles": 1, "Asia/Kathmandu": 2}


@dataclass
class RouteCase:
    """One project and one ``timezone`` setting, with both routes' inputs."""

    zone: str
    timezone: str
    driver: PostHogDriver
    fallback: sqlite3.Connection

    @property
    def local(self) -> bool:
        # The project's calendar, when it is not UTC, is wall-clock text in SQLite.
        return self.timezone == "project" and self.zone != "UTC"


@pytest.fixture(params=["UTC", "project"])
def zone(request: pytest.FixtureRequest, emulator: EmulatorServer,
         zoned_server: EmulatorServer) -> tuple[EmulatorServer, str]:  # fmt: skip
    """(server, timezone option): the UTC demo project read in UTC, then a Los Angeles project
    read with ``timezone="project"`` (its wall-clock text is what the SQLite route stores)."""
    return (emulator if request.param == "UTC" else zoned_server), request.param


@pytest.fixture(scope="session")
def zoned_server() -> Iterator[EmulatorServer]:
    app = Emulator(timezone="America/Los_Angeles", query_tier="api-queries")
    app.add_project(2, timezone="Asia/Kathmandu", query_tier="api-queries")
    for pid in (1, 2):
        app.projects[pid].events = EventStore.demo(
            seed=pid, persons=60, events=1500, now=ZONED_NOW.replace(tzinfo=None)
        )
    app.save_snapshot()
    # These projects test time semantics, not quotas (tests/driver/test_budget.py and
    # tests/emulator/test_quotas.py do), and their drivers do not really sleep.
    app.limits.configure(enabled=False)
    server = EmulatorServer(app)
    yield server
    server.stop()


_cases: dict[tuple[str, str], RouteCase] = {}


@pytest.fixture(scope="session")
def route_cases(
    emulator_server: EmulatorServer, zoned_server: EmulatorServer
) -> Iterator[dict[tuple[str, str], RouteCase]]:
    yield _cases
    for case in _cases.values():
        case.fallback.close()
        case.driver.close()
    _cases.clear()


def route_case(
    cases: dict[tuple[str, str], RouteCase],
    zone: str,
    timezone: str,
    emulator_server: EmulatorServer,
    zoned_server: EmulatorServer,
    fallback_db: sqlite3.Connection,
) -> RouteCase:
    """The case's driver and fallback, made on first use and kept for the session."""
    key = (zone, timezone)
    if key not in cases:
        server = emulator_server if zone == "UTC" else zoned_server
        drv = PostHogDriver(
            api_url=server.url,
            api_key=server.api_key,
            project_id=ZONES[zone],
            sleep=lambda seconds: None,
            rate_budget=zone == "UTC",
            timezone=timezone,
        )
        local = timezone == "project" and zone != "UTC"
        db = (
            fallback_db
            if zone == "UTC" and timezone == "UTC"
            else oracle_db(server.app.projects[ZONES[zone]].events, zone=zone if local else "UTC")
        )
        cases[key] = RouteCase(zone, timezone, drv, db)
    return cases[key]

"""Fixtures of the pushdown tests: a driver on the session emulator, and the SQLite fallback.

The fallback database is what the SQLite route computes over: every row of the HogQL tables,
fetched by the HogQL-backed adapter's keyset scan, stored as the virtual table stores them
(timestamps as ``isoformat()`` text).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from posthog_dbapi import PostHogDriver
from posthog_dbapi.adapters.hogql_adapter import scan
from posthog_dbapi.emulator import EmulatorServer
from posthog_dbapi.sql.pushdown_tables import HOGQL_TABLES


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


def _stored(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value


@pytest.fixture(scope="session")
def fallback_db(emulator_server: EmulatorServer) -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(":memory:", check_same_thread=False)
    with make_driver(emulator_server) as drv:
        for name in ("events", "persons", "person_distinct_ids", "sessions"):
            table = HOGQL_TABLES[name]
            cols = ", ".join(f'"{c}"' for c in table.column_names)
            db.execute(f'CREATE TABLE "{name}" ({cols})')
            marks = ", ".join("?" for _ in table.column_names)
            rows = (
                tuple(_stored(row[c]) for c in table.column_names)
                for row in scan(drv, table, page_size=7000)
            )
            db.executemany(f'INSERT INTO "{name}" VALUES ({marks})', rows)
    yield db
    db.close()

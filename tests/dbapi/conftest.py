"""Fixtures of the DB-API tests: a connection to the emulator and the raw JSON to check against."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import posthog_dbapi.dbapi as dbapi


@pytest.fixture
def conn(emulator: Any) -> Iterator[dbapi.Connection]:
    connection = dbapi.connect(emulator.url, emulator.api_key, emulator.project_id, max_retries=0)
    yield connection
    connection.close()


@pytest.fixture
def raw(conn: dbapi.Connection) -> Any:
    """The records of a resource as the driver returns them (the independent source of truth)."""

    def records(name: str) -> list[dict[str, Any]]:
        return list(conn.driver.iter_records(name))  # type: ignore[attr-defined]

    return records


@pytest.fixture
def api_requests(emulator: Any) -> Any:
    """The API requests the emulator received since its log was last cleared."""

    def requests() -> list[Any]:
        return [r for r in emulator.app.request_log if "/api/" in r.path]

    return requests

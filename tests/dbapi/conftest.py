"""Fixtures of the DB-API tests: a connection to the emulator and the raw JSON to check against.

``raw`` is deliberately not the driver: it pages the emulator's list endpoint with plain
``requests``, following ``next`` links by hand, so a paging, decoding or transport bug in the
driver cannot show on both sides of a comparison.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

import posthog_dbapi.dbapi as dbapi


@pytest.fixture
def conn(emulator: Any) -> Iterator[dbapi.Connection]:
    connection = dbapi.connect(emulator.url, emulator.api_key, emulator.project_id, max_retries=0)
    yield connection
    connection.close()


def list_records(url: str, api_key: str, project_id: int, name: str) -> list[dict[str, Any]]:
    """Every item of ``/api/projects/{id}/{name}/`` as the API returns it, page by page."""
    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    page_url: str | None = f"{url}/api/projects/{project_id}/{name}/"
    while page_url is not None:
        # A repeated link would loop forever; failing names the bug instead.
        assert page_url not in seen, f"{name}: the next link repeats {page_url}"
        seen.add(page_url)
        response = requests.get(
            page_url, headers={"Authorization": f"Bearer {api_key}"}, timeout=30
        )
        assert response.status_code == 200, (name, response.status_code, response.text[:300])
        body = response.json()
        if isinstance(body, list):
            return records + body
        assert isinstance(body, dict) and isinstance(body.get("results"), list), body
        records += body["results"]
        page_url = body.get("next")
    return records


@pytest.fixture
def raw(emulator: Any) -> Any:
    """The records of a resource as the API's raw JSON (the independent source of truth)."""

    def records(name: str) -> list[dict[str, Any]]:
        return list_records(emulator.url, emulator.api_key, emulator.project_id, name)

    return records


@pytest.fixture
def api_requests(emulator: Any) -> Any:
    """The API requests the emulator received since its log was last cleared."""

    def requests() -> list[Any]:
        return [r for r in emulator.app.request_log if "/api/" in r.path]

    return requests

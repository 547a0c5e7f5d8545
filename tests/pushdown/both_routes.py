"""One statement run through two connections, pushed down and with ``pushdown="off"``.

For functions whose SQLite answer depends on the SQLite version (newer ``strftime`` letters,
``julianday``): the oracle must be the connection's own SQLite, not the standard library's.
"""

from __future__ import annotations

from typing import Any

import posthog_dbapi
from posthog_emulator import EmulatorServer

__all__ = ["rows_on_both_routes"]


def rows_on_both_routes(
    server: EmulatorServer, sql: str, *, timezone: str = "UTC", sort: bool = False
) -> tuple[list[Any], list[Any]]:
    """(pushed-down rows, local rows) of ``sql``; asserts each route ran it with one request."""
    rows: dict[str, list[Any]] = {}
    for mode in ("auto", "off"):
        with posthog_dbapi.connect(server.url, server.api_key, server.project_id, pushdown=mode,
                                   timezone=timezone, query_cache_ttl=0) as conn:  # fmt: skip
            cursor = conn.cursor().execute(sql)
            fetched = cursor.fetchall()
            rows[mode] = sorted(fetched) if sort else fetched
            assert cursor.route == ("hogql" if mode == "auto" else "sqlite")
            assert len(cursor.queries) == 1
    return rows["auto"], rows["off"]

"""Every chart time grain of the engine spec runs as one HogQL query, with SQLite's answer."""

from __future__ import annotations

from typing import Any

import pytest

import posthog_dbapi
from posthog_dbapi.dialect.time_grains import TIME_GRAINS

GRAINS = [g for g in TIME_GRAINS if g is not None]


@pytest.mark.parametrize("grain", GRAINS)
def test_time_grain_is_pushed_down_and_matches_sqlite(grain: str, emulator: Any) -> None:
    expr = TIME_GRAINS[grain].format(col="timestamp")
    sql = f"SELECT {expr} AS t, COUNT(*) AS n FROM events GROUP BY {expr} ORDER BY t"
    answers = {}
    for mode in ("required", "off"):
        with posthog_dbapi.connect(
            emulator.url, emulator.api_key, emulator.project_id, pushdown=mode
        ) as conn:
            cursor = conn.cursor()
            emulator.app.request_log.clear()
            cursor.execute(sql)
            answers[mode] = cursor.fetchall()
            if mode == "required":
                assert cursor.route == "hogql"
                assert len([r for r in emulator.app.request_log if "/query" in r.path]) == 1
    assert answers["required"] == answers["off"]
    assert sum(n for _, n in answers["required"]) == emulator.app.projects[1].events.event_count()

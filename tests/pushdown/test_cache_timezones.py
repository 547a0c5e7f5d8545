"""The answer cache never hands one timezone setting's answer to the other: the same HogQL
text means another day split under ``timezone="project"`` (the project is in Los Angeles)."""

from __future__ import annotations

from posthog_dbapi import connect
from posthog_emulator import EmulatorServer

DAILY = (
    "SELECT date(timestamp) AS day, count(*) AS n FROM events "
    "WHERE timestamp >= '2024-03-09' AND timestamp < '2024-03-12' GROUP BY day ORDER BY day"
)


def test_project_time_never_reuses_a_cached_utc_answer(zoned_server: EmulatorServer) -> None:
    answers: dict[str, list[tuple]] = {}
    texts: dict[str, str | None] = {}
    for round_ in (1, 2):
        for timezone in ("UTC", "project"):
            with connect(zoned_server.url, zoned_server.api_key, 1, timezone=timezone,
                         pushdown="required", query_cache_ttl=600) as conn:  # fmt: skip
                cursor = conn.cursor().execute(DAILY)
                rows = cursor.fetchall()
                # The first of each setting is sent; the second is that setting's cached answer.
                assert len(cursor.queries) == (1 if round_ == 1 else 0), (timezone, round_)
                assert answers.setdefault(timezone, rows) == rows
                texts.setdefault(timezone, cursor.hogql)
    assert texts["UTC"] == texts["project"]  # the same HogQL: only the setting tells them apart
    assert answers["UTC"] != answers["project"]

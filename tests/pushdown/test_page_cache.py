"""A streamed keyset scan leaves only its first page in the process's answer cache: its later
pages are read once and let go, so reading a table does not keep the table (benchmark 3)."""

from __future__ import annotations

from posthog_dbapi import PostHogDriver
from posthog_dbapi.driver.query_cache import query_cache
from posthog_dbapi.sql.pushdown_planner import PushdownPlan, execute, plan
from posthog_emulator import EmulatorServer


def test_pages_after_the_first_are_not_cached(
    driver: PostHogDriver, emulator: EmulatorServer
) -> None:
    assert driver.query_cache_ttl > 0  # the cache is on
    chosen = plan("SELECT uuid, event FROM events WHERE event = 'purchase'", [])
    assert isinstance(chosen, PushdownPlan) and chosen.mode == "keyset"
    first = list(execute(driver, chosen, page_size=100))
    assert len(first) > 300  # four pages or more
    assert len(query_cache) == 1  # the first page only
    emulator.app.request_log.clear()
    again = list(execute(driver, chosen, page_size=100))
    sent = [r for r in emulator.app.request_log if r.path.endswith("/query/")]
    assert again == first
    assert len(sent) == len(first) // 100  # every page but the cached first one

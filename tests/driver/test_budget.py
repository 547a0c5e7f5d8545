"""Client-side rate budgets and Retry-After parsing, with an injected clock (no network)."""

from __future__ import annotations

import email.utils

import pytest
from sqlalchemy.engine import make_url

from posthog_dbapi import PostHogDriver, connect
from posthog_dbapi.dialect.url import connect_args_from_url
from posthog_dbapi.driver.budget import (
    DEFAULT_LIMITS,
    RATE_CATEGORIES,
    BudgetLimits,
    RateBudget,
    get_shared_budget,
    query_tier,
)
from posthog_dbapi.driver.construction import check_query_tier
from posthog_dbapi.driver.routes import get_directory
from posthog_dbapi.driver.transport import parse_retry_after
from posthog_dbapi.exceptions import InterfaceError
from posthog_emulator import EmulatorServer
from tests.conftest import FakeTime


def test_window_allows_the_minute_limit_then_asks_to_wait() -> None:
    clock = FakeTime()
    budget = RateBudget({"crud": BudgetLimits(per_minute=3, per_hour=100)}, clock=clock.now)
    assert [budget.reserve("crud") for _ in range(3)] == [0.0] * 3
    clock.advance(10)
    # Like PostHog's sliding window: the 4th may go when the 1st leaves the minute (t=60).
    assert budget.reserve("crud") == 50.0
    # The 5th queues behind the 4th, at t=60 too (the 2nd also left by then).
    assert budget.reserve("crud") == 50.0
    clock.advance(100)
    assert budget.reserve("crud") == 0.0


def test_hour_limit_binds_when_it_is_the_tighter_one() -> None:
    clock = FakeTime()
    budget = RateBudget({"query": BudgetLimits(per_minute=100, per_hour=2)}, clock=clock.now)
    assert budget.reserve("query") == 0.0
    assert budget.reserve("query") == 0.0
    assert budget.reserve("query") == 3600.0


def test_status_reports_remaining_per_category() -> None:
    clock = FakeTime()
    budget = RateBudget(clock=clock.now)
    for _ in range(5):
        budget.reserve("analytics")
    status = budget.status()
    assert status["analytics"]["remaining_minute"] == 235
    assert status["analytics"]["remaining_hour"] == 1195
    assert status["crud"]["remaining_minute"] == 480
    assert status["query_slots_free"] == 3


def test_drain_after_a_429_blocks_the_category() -> None:
    clock = FakeTime()
    budget = RateBudget({"crud": BudgetLimits(60, 1000)}, clock=clock.now)
    budget.drain("crud", 7)
    assert budget.reserve("crud") == 7.0
    assert budget.reserve("analytics") == 0.0


def test_query_slots_limit_concurrency() -> None:
    budget = RateBudget(query_concurrency=2)
    assert budget.acquire_query_slot(timeout=0)
    assert budget.acquire_query_slot(timeout=0)
    assert not budget.acquire_query_slot(timeout=0)
    budget.release_query_slot()
    assert budget.acquire_query_slot(timeout=0)


def test_budget_is_shared_per_host_and_key_and_clock() -> None:
    clock = FakeTime()
    a = get_shared_budget("https://h1", "phx_a", clock=clock.now)
    assert get_shared_budget("https://h1", "phx_a", clock=clock.now) is a
    assert get_shared_budget("https://h1", "phx_b", clock=clock.now) is not a
    assert get_shared_budget("https://h2", "phx_a", clock=clock.now) is not a
    assert get_shared_budget("https://h1", "phx_a", clock=FakeTime().now) is not a


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("39") == 39.0
    assert parse_retry_after(" 2.5 ") == 2.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(date, now=now) == 30.0
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0


# -- PostHog's Query API tiers ------------------------------------------------------------------


def test_default_tier_allows_120_hogql_queries_an_hour() -> None:
    clock = FakeTime()
    budget = RateBudget(clock=clock.now)
    waits = []
    for _ in range(121):
        waits.append(budget.reserve("hogql"))
        clock.advance(1)
    assert waits[:120] == [0.0] * 120
    # The 121st waits until the first leaves the hour (sent at t=0, now t=120).
    assert waits[120] == 3600 - 120
    # Status polls and other query kinds have their own bucket (240/minute, 1,200/hour).
    assert budget.reserve("query") == 0.0
    status = budget.status()
    assert (status["hogql"]["limit_minute"], status["hogql"]["limit_hour"]) == (None, 120)
    assert status["hogql"]["remaining_minute"] is None
    assert (status["query"]["limit_minute"], status["query"]["limit_hour"]) == (240, 1200)


def test_api_queries_tier_shares_one_bucket_for_every_query_request() -> None:
    clock = FakeTime()
    budget = RateBudget(clock=clock.now)
    budget.set_query_tier(query_tier("api-queries"))
    for _ in range(120):
        assert budget.reserve("hogql") == 0.0
        assert budget.reserve("query") == 0.0
    assert budget.reserve("hogql") == 60.0
    status = budget.status()
    assert status["hogql"]["remaining_hour"] == 2400 - 241
    assert status["query"]["shared_with"] == "hogql"
    assert status["query"]["remaining_hour"] == 2400 - 241


@pytest.mark.parametrize(
    ("declared", "limits"),
    [
        (500, (None, 500)),
        ("500/hour", (None, 500)),
        (" 20/minute ", (20, None)),
        ("API-Queries", (240, 2400)),
        ("default", (None, 120)),
    ],
)
def test_a_declared_tier_sets_the_hogql_limits(
    declared: object, limits: tuple[int | None, int | None]
) -> None:
    tier = query_tier(declared)  # type: ignore[arg-type]
    assert (tier.hogql.per_minute, tier.hogql.per_hour) == limits


@pytest.mark.parametrize("bad", ["premium", "0", "-5/hour", "10/day", True, "ten"])
def test_an_unreadable_tier_is_refused_with_the_fix(bad: object) -> None:
    with pytest.raises(InterfaceError, match="query_tier") as info:
        check_query_tier(bad)
    assert "api-queries" in str(info.value)


def test_a_later_declaration_keeps_what_was_already_counted() -> None:
    clock = FakeTime()
    budget = get_shared_budget("https://h", "phx_t", clock=clock.now)
    for _ in range(100):
        budget.reserve("hogql")
    again = get_shared_budget("https://h", "phx_t", clock=clock.now, tier=query_tier(150))
    assert again is budget
    assert budget.status()["hogql"]["remaining_hour"] == 50


def test_a_429_on_hogql_blocks_every_connection_of_the_key() -> None:
    clock = FakeTime()
    a = get_shared_budget("https://h", "phx_t", clock=clock.now)
    a.drain("hogql", 900)
    b = get_shared_budget("https://h", "phx_t", clock=clock.now)
    assert b.reserve("hogql") == 900.0
    assert b.status()["hogql"]["blocked_seconds"] == 900.0
    assert b.reserve("crud") == 0.0


# -- against the emulator, on one fake clock ------------------------------------------------------


def test_the_driver_paces_200_hogql_queries_inside_the_default_tier(
    emulator: EmulatorServer, sleeps: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The session emulator's project goes back to its API-queries tier after this test.
    monkeypatch.setattr(emulator.app.projects[1].settings, "query_tier", "default")
    monkeypatch.setattr(emulator.app, "clock", sleeps)  # one clock for both sides
    driver = PostHogDriver(
        api_url=emulator.url,
        api_key=emulator.api_key,
        project_id=1,
        query_tier="default",
        clock=sleeps.clock,
        sleep=sleeps,
    )
    with driver:
        assert driver.get_rate_limit_status()["hogql_remaining_hour"] == 120
        for i in range(200):
            assert driver.query("SELECT {i}", {"i": i}).results == [[i]]
        status = driver.get_rate_limit_status()
    queries = [r for r in emulator.app.request_log if r.path.endswith("/query/")]
    assert len(queries) == 200
    assert {r.status for r in queries} == {200}  # not one 429, not even a retried one
    # 120 at once, then each of the other 80 when an hour-old one leaves the window.
    assert sleeps.elapsed == pytest.approx(3600, abs=1)
    assert status["query_tier"] == "default"
    # At t=3600 the first 120 have left the hour; the last 80 are still in it.
    assert status["hogql_remaining_hour"] == 40


def test_a_connection_declares_its_tier_in_the_url_or_as_an_option(
    emulator: EmulatorServer,
) -> None:
    url = (
        f"posthog://:{emulator.api_key}@{emulator.url.split('://')[1]}/1"
        "?scheme=http&query_tier=500/hour&timezone=project"
    )
    args = connect_args_from_url(make_url(url))
    assert (args["query_tier"], args["timezone"]) == ("500/hour", "project")
    with connect(emulator.url, emulator.api_key, 1, query_tier=500) as conn:
        status = conn.driver.get_rate_limit_status()
    assert (status["query_tier"], status["hogql_remaining_hour"]) == ("500/hour", 500)


def test_a_raw_hogql_call_counts_against_the_hogql_budget(emulator: EmulatorServer) -> None:
    with PostHogDriver(
        api_url=emulator.url, api_key=emulator.api_key, project_id=1, query_tier="default"
    ) as driver:
        driver.call_endpoint(
            "/query/", "POST", data={"query": {"kind": "HogQLQuery", "query": "SELECT 1"}}
        )
        driver.call_endpoint("/query/no-such-id/", "DELETE")
        status = driver.get_rate_limit_status()
    assert status["hogql_remaining_hour"] == 119
    assert status["categories"]["query"]["remaining_hour"] == 1199


# -- the categories, named once ----------------------------------------------------------------


def test_every_route_and_default_limit_uses_a_known_category() -> None:
    assert set(DEFAULT_LIMITS) == set(RATE_CATEGORIES)
    directory = get_directory()
    assert {directory.route(n).rate_category for n in directory.names()} <= set(RATE_CATEGORIES)


def test_an_unknown_category_is_refused_before_it_goes_uncounted(
    emulator: EmulatorServer,
) -> None:
    driver = PostHogDriver(api_url=emulator.url, api_key=emulator.api_key, project_id=1)
    emulator.app.request_log.clear()
    with driver, pytest.raises(InterfaceError, match="category must be one of crud"):
        driver.call_endpoint("/dashboards", category="crude")
    assert list(emulator.app.request_log) == []

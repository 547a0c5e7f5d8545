"""Client-side rate budgets and Retry-After parsing, with an injected clock (no network)."""

from __future__ import annotations

import email.utils

from posthog_dbapi.driver.budget import BudgetLimits, RateBudget, get_shared_budget
from posthog_dbapi.driver.transport import parse_retry_after


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_window_allows_the_minute_limit_then_asks_to_wait() -> None:
    clock = FakeClock()
    budget = RateBudget({"crud": BudgetLimits(per_minute=3, per_hour=100)}, clock=clock)
    assert [budget.reserve("crud") for _ in range(3)] == [0.0] * 3
    clock.now += 10
    # Like PostHog's sliding window: the 4th may go when the 1st leaves the minute (t=60).
    assert budget.reserve("crud") == 50.0
    # The 5th queues behind the 4th, at t=60 too (the 2nd also left by then).
    assert budget.reserve("crud") == 50.0
    clock.now += 100
    assert budget.reserve("crud") == 0.0


def test_hour_limit_binds_when_it_is_the_tighter_one() -> None:
    clock = FakeClock()
    budget = RateBudget({"query": BudgetLimits(per_minute=100, per_hour=2)}, clock=clock)
    assert budget.reserve("query") == 0.0
    assert budget.reserve("query") == 0.0
    assert budget.reserve("query") == 3600.0


def test_status_reports_remaining_per_category() -> None:
    clock = FakeClock()
    budget = RateBudget(clock=clock)
    for _ in range(5):
        budget.reserve("analytics")
    status = budget.status()
    assert status["analytics"]["remaining_minute"] == 235
    assert status["analytics"]["remaining_hour"] == 1195
    assert status["crud"]["remaining_minute"] == 480
    assert status["query_slots_free"] == 3


def test_drain_after_a_429_blocks_the_category() -> None:
    clock = FakeClock()
    budget = RateBudget({"crud": BudgetLimits(60, 1000)}, clock=clock)
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
    clock = FakeClock()
    a = get_shared_budget("https://h1", "phx_a", clock=clock)
    assert get_shared_budget("https://h1", "phx_a", clock=clock) is a
    assert get_shared_budget("https://h1", "phx_b", clock=clock) is not a
    assert get_shared_budget("https://h2", "phx_a", clock=clock) is not a
    assert get_shared_budget("https://h1", "phx_a", clock=FakeClock()) is not a


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("39") == 39.0
    assert parse_retry_after(" 2.5 ") == 2.5
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(date, now=now) == 30.0
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0

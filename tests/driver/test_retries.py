"""Retries, backoff, Retry-After, budgets and fault handling, with the emulator's fault injection.

Waits go to the ``sleeps`` recorder instead of really sleeping.
"""

from __future__ import annotations

from typing import Any

import pytest

from posthog_dbapi.driver import PostHogDriver
from posthog_dbapi.exceptions import (
    ConnectionError,
    MalformedResponseError,
    PostHogServerError,
    RateLimitError,
)

DASHBOARDS = r"/dashboards/$"


def _calls(emulator: Any, method: str, path_part: str) -> int:
    return sum(1 for r in emulator.app.request_log if r.method == method and path_part in r.path)


def test_5xx_on_get_backs_off_exponentially_with_jitter(
    driver: PostHogDriver, emulator: Any, sleeps: Any
) -> None:
    emulator.app.faults.add("503", path=DASHBOARDS, times=3)
    assert driver.read("/dashboards", limit=3)
    assert len(sleeps.waits) == 3
    for wait, base in zip(sleeps.waits, (1, 2, 4)):
        assert 0.75 * base <= wait <= 1.25 * base
    assert _calls(emulator, "GET", "/dashboards/") == 4


def test_every_retryable_5xx_kind(driver: PostHogDriver, emulator: Any) -> None:
    for kind in ("500", "502", "503", "504", "html", "garbage", "truncate", "reset"):
        emulator.app.faults.clear()
        emulator.app.request_log.clear()
        emulator.app.faults.add(kind, path=DASHBOARDS, times=1)
        assert len(driver.read("/dashboards", limit=2)) == 2, kind
        # The fault fired on the first request, and the read is the retry's answer.
        assert emulator.app.faults.counts() == {kind: 1}, kind
        assert _calls(emulator, "GET", "/dashboards/") == 2, kind


def test_429_waits_retry_after(driver: PostHogDriver, emulator: Any, sleeps: Any) -> None:
    emulator.app.faults.add("429", path=DASHBOARDS, times=2, retry_after=7)
    assert driver.read("/dashboards", limit=1)
    assert sleeps.waits == [7.0, 7.0]
    assert driver.get_rate_limit_status()["retry_after"] == 7.0


def test_429_after_the_last_retry_raises_with_retry_after(
    make_driver: Any, emulator: Any, sleeps: Any
) -> None:
    driver = make_driver(project_id=1, max_retries=2)
    emulator.app.faults.add("429", path=DASHBOARDS, retry_after=3)
    with pytest.raises(RateLimitError) as info:
        driver.read("/dashboards")
    assert info.value.details["retry_after"] == 3.0
    assert info.value.status == 429
    assert sleeps.waits == [3.0, 3.0]
    assert _calls(emulator, "GET", "/dashboards/") == 3


def test_retry_after_above_the_cap_is_handed_to_the_caller(
    make_driver: Any, emulator: Any, sleeps: Any
) -> None:
    driver = make_driver(project_id=1, retry_after_cap=10)
    emulator.app.faults.add("429", path=DASHBOARDS, retry_after=600)
    with pytest.raises(RateLimitError) as info:
        driver.read("/dashboards")
    assert info.value.details["retry_after"] == 600.0
    assert sleeps.waits == []


def test_max_retries_zero_disables_retries(make_driver: Any, emulator: Any, sleeps: Any) -> None:
    driver = make_driver(project_id=1, max_retries=0)
    emulator.app.faults.add("503", path=DASHBOARDS, times=1)
    with pytest.raises(PostHogServerError) as info:
        driver.read("/dashboards")
    assert info.value.status == 503
    assert sleeps.waits == []


def test_post_is_not_retried_after_a_5xx(driver: PostHogDriver, emulator: Any) -> None:
    emulator.app.faults.add("500", path=DASHBOARDS, method="POST", times=1)
    with pytest.raises(PostHogServerError):
        driver.create("dashboards", {"name": "Once"})
    assert _calls(emulator, "POST", "/dashboards/") == 1


def test_post_is_not_retried_after_a_dropped_connection(
    driver: PostHogDriver, emulator: Any
) -> None:
    emulator.app.faults.add("reset", path=DASHBOARDS, method="POST", times=1)
    with pytest.raises(ConnectionError) as info:
        driver.create("dashboards", {"name": "Maybe"})
    assert info.value.details["maybe_applied"] is True
    assert _calls(emulator, "POST", "/dashboards/") == 1


def test_post_is_retried_after_a_429(driver: PostHogDriver, emulator: Any, sleeps: Any) -> None:
    emulator.app.faults.add("429", path=DASHBOARDS, method="POST", times=1, retry_after=2)
    created = driver.create("dashboards", {"name": "After throttle"})
    assert created["name"] == "After throttle"
    assert sleeps.waits == [2.0]
    names = [d["name"] for d in driver.read("/dashboards", limit=1000)]
    assert names.count("After throttle") == 1


def test_query_post_is_retried_because_it_only_reads(driver: PostHogDriver, emulator: Any) -> None:
    emulator.app.faults.add("502", path=r"/query/$", method="POST", times=2)
    result = driver.query("SELECT count() FROM events")
    assert result.results[0][0] > 0


def test_garbage_every_time_is_a_malformed_response(driver: PostHogDriver, emulator: Any) -> None:
    emulator.app.faults.add("garbage", path=DASHBOARDS)
    with pytest.raises(MalformedResponseError) as info:
        driver.read("/dashboards")
    assert info.value.details["suggestion"]


def test_html_error_page_is_named(make_driver: Any, emulator: Any) -> None:
    driver = make_driver(project_id=1, max_retries=0)
    emulator.app.faults.add("html", path=DASHBOARDS)
    with pytest.raises(PostHogServerError, match="HTML page"):
        driver.read("/dashboards")


def test_next_link_to_another_host_is_refused(driver: PostHogDriver, emulator: Any) -> None:
    emulator.app.faults.add("foreign_next", path=DASHBOARDS)
    with pytest.raises(MalformedResponseError) as info:
        list(driver.iter_records("dashboards", page_size=2))
    assert "another host" in info.value.message
    assert all(r.host.startswith("127.0.0.1") for r in emulator.app.request_log)


def test_redirect_to_another_host_is_not_followed(driver: PostHogDriver, emulator: Any) -> None:
    emulator.app.faults.add("redirect_foreign", path=DASHBOARDS)
    with pytest.raises(ConnectionError, match="redirected to another host"):
        driver.read("/dashboards")


def test_budget_paces_requests_instead_of_collecting_429s(
    make_driver: Any, emulator: Any, sleeps: Any
) -> None:
    emulator.app.clock = sleeps  # the server's throttles and the driver's budget: one clock
    emulator.app.limits.configure(crud=(5, 1000))
    driver = make_driver(project_id=1, rate_budget={"crud": (5, 1000)})
    emulator.app.request_log.clear()
    for _ in range(12):
        driver.read("/dashboards", limit=1)
    assert [r.status for r in emulator.app.request_log] == [200] * 12
    # 5 requests per minute, the construction's included: the 12 reads span two more minutes.
    assert sum(sleeps.waits) == pytest.approx(120)
    status = driver.get_rate_limit_status()["categories"]["crud"]
    assert status["limit_minute"] == 5
    assert status["remaining_minute"] == 2


def test_server_limits_without_a_budget_are_retried(
    make_driver: Any, emulator: Any, sleeps: Any
) -> None:
    emulator.app.limits.configure(crud=(3, 1000))
    driver = make_driver(project_id=1, rate_budget=False)
    emulator.app.request_log.clear()
    with pytest.raises(RateLimitError) as info:
        for _ in range(10):
            driver.read("/dashboards", limit=1)
    assert info.value.details["retry_after"] > 0
    assert any(r.status == 429 for r in emulator.app.request_log)
    assert driver.get_rate_limit_status()["enabled"] is False


def test_budgets_are_shared_by_drivers_with_the_same_key(make_driver: Any, sleeps: Any) -> None:
    a = make_driver(project_id=1, clock=sleeps.clock)
    b = make_driver(project_id=1, clock=sleeps.clock)
    before = b.get_rate_limit_status()["categories"]["crud"]["remaining_minute"]
    a.read("/dashboards", limit=1)
    after = b.get_rate_limit_status()["categories"]["crud"]["remaining_minute"]
    assert after == before - 1

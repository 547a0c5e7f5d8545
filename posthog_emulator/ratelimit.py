"""PostHog's per-key throttles with Retry-After, on an injectable clock.

PostHog's throttles (posthog/rate_limit.py) are DRF ``SimpleRateThrottle`` subclasses keyed by
the hash of the personal API key and the throttle's scope. A request is checked against every
throttle of its category; each one that still has room records the request, each one that is
full reports a wait, and the longest wait becomes the 429's ``Retry-After`` (DRF's
``check_throttles``; ``Throttled`` rounds the wait up to whole seconds).

Categories, and the throttles PostHog's views use for them:

- ``crud``: BurstRateThrottle 480/minute, SustainedRateThrottle 4800/hour (DRF defaults);
- ``analytics``: ClickHouseBurst 240/minute and ClickHouseSustained 1200/hour (persons, events,
  and ``/query/`` requests that are not a HogQLQuery);
- ``hogql``: HogQLQueryThrottle 120/hour, the default for ``POST /query/`` with a HogQLQuery
  (a team's ``api_query_rate_limit`` overrides it: ``configure(hogql=...)``);
- ``query``: APIQueriesBurst 240/minute and APIQueriesSustained 2400/hour, for every ``/query/``
  request of a project in PostHog's "API queries" tier, and for ``/endpoints/``.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from .errors import ApiError

__all__ = ["DEFAULT_LIMITS", "FakeClock", "RateLimiter", "SystemClock"]

MINUTE, HOUR = 60, 3600
# category -> ((scope, requests, seconds), ...)
Throttles = tuple[tuple[str, int, int], ...]
DEFAULT_LIMITS: dict[str, Throttles] = {
    "crud": (("burst", 480, MINUTE), ("sustained", 4800, HOUR)),
    "analytics": (("clickhouse_burst", 240, MINUTE), ("clickhouse_sustained", 1200, HOUR)),
    "hogql": (("query", 120, HOUR),),
    "query": (("api_queries_burst", 240, MINUTE), ("api_queries_sustained", 2400, HOUR)),
}
# UNVERIFIED: the number of concurrent queries PostHog's API-queries tier allows per team; the
# facts say only that a ClickHouse concurrency limit answers 429.
DEFAULT_QUERY_CONCURRENCY = 3


class SystemClock:
    def now(self) -> float:
        return time.time()


class FakeClock:
    """A clock tests move by hand, so throttle windows pass without sleeping."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


def _pair(category: str, per_minute: int, per_hour: int) -> Throttles:
    minute_scope, hour_scope = (scope for scope, _, _ in DEFAULT_LIMITS[category])
    return ((minute_scope, per_minute, MINUTE), (hour_scope, per_hour, HOUR))


class RateLimiter:
    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._history: dict[tuple[str, str], deque[float]] = {}
        self._running: dict[str, int] = {}
        self.reset()

    def configure(
        self,
        *,
        crud: tuple[int, int] | None = None,
        analytics: tuple[int, int] | None = None,
        query: tuple[int, int] | None = None,
        hogql: int | None = None,
        query_concurrency: int | None = None,
        enabled: bool | None = None,
    ) -> None:
        """Per-minute and per-hour limits of a category (``hogql``: per hour), the concurrent
        query limit, or all limits off. Clears the request history."""
        with self._lock:
            for name, value in (("crud", crud), ("analytics", analytics), ("query", query)):
                if value is not None:
                    self.limits[name] = _pair(name, *value)
            if hogql is not None:
                self.limits["hogql"] = (("query", hogql, HOUR),)
            if query_concurrency is not None:
                self.query_concurrency = query_concurrency
            if enabled is not None:
                self.enabled = enabled
            self._history.clear()

    def reset(self) -> None:
        with self._lock:
            self.limits = dict(DEFAULT_LIMITS)
            self.query_concurrency = DEFAULT_QUERY_CONCURRENCY
            self.enabled = True
            self._history.clear()
            self._running.clear()

    def hit(self, key: str, category: str) -> None:
        """Count one request; raise the 429 PostHog sends when a throttle is full."""
        if not self.enabled:
            return
        now = self._now()
        waits: list[float] = []
        with self._lock:
            for scope, limit, duration in self.limits[category]:
                history = self._history.setdefault((key, scope), deque())
                while history and history[0] <= now - duration:
                    history.popleft()
                if len(history) >= limit:
                    # SimpleRateThrottle.wait(): the rest of the oldest request's window,
                    # shared among the requests still available (one, when full).
                    remaining = duration - (now - history[0]) if history else duration
                    available = limit - len(history) + 1
                    waits.append(remaining / available if available > 0 else remaining)
                else:
                    history.append(now)
        if waits:
            wait = math.ceil(max(waits))
            unit = "second" if wait == 1 else "seconds"
            raise ApiError(
                429,
                "throttled_error",
                "throttled",
                f"Request was throttled. Expected available in {wait} {unit}.",
                headers={"Retry-After": str(wait)} if wait else None,
            )

    def enter_query(self, key: str) -> None:
        with self._lock:
            running = self._running.get(key, 0)
            if self.enabled and running >= self.query_concurrency:
                # ConcurrencyLimitExceeded becomes Throttled without a wait, so no Retry-After.
                # UNVERIFIED: the exact wording of PostHog's message.
                raise ApiError(
                    429,
                    "throttled_error",
                    "throttled",
                    f"Exceeded maximum concurrency limit: {self.query_concurrency} for key "
                    "personal_api_key.",
                )
            self._running[key] = running + 1

    def leave_query(self, key: str) -> None:
        with self._lock:
            self._running[key] = max(0, self._running.get(key, 1) - 1)

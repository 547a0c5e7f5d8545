"""Client-side rate budgets: request windows per PostHog rate-limit category.

PostHog limits personal-API-key traffic per key (CRUD 480/min and 4800/hour, analytics 240/min and
1200/hour, query 240/min and 2400/hour with 3 concurrent queries) and says so only with a 429. So
the driver keeps its own account: before each request it books a slot in the minute and hour
windows of the request's category (counted like PostHog's sliding-window throttles) and, when a
window is full, waits until the oldest request in it leaves. A long scan therefore
slows itself down instead of collecting 429s.

One ``RateBudget`` is shared by every driver in the process that talks to the same host with the
same key (keyed by a hash of the key, never the key), because PostHog counts per key. Drivers that
inject their own clock get their own budget, so tests with a fake clock never disturb others.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT_LIMITS",
    "BudgetLimits",
    "RateBudget",
    "get_shared_budget",
    "reset_budgets",
]

Clock = Callable[[], float]


@dataclass(frozen=True)
class BudgetLimits:
    """Requests allowed per minute and per hour for one category."""

    per_minute: int
    per_hour: int


DEFAULT_LIMITS: Mapping[str, BudgetLimits] = {
    "crud": BudgetLimits(480, 4800),
    "analytics": BudgetLimits(240, 1200),
    "query": BudgetLimits(240, 2400),
}
DEFAULT_QUERY_CONCURRENCY = 3


class _Window:
    """A sliding-window log, as PostHog's throttles (DRF ``SimpleRateThrottle``) count: at most
    ``limit`` requests in any ``period`` seconds. Times may lie in the future: they are
    reservations of callers that are still waiting for their turn."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.times: deque[float] = deque()

    def prune(self, now: float) -> None:
        while self.times and self.times[0] <= now - self.period:
            self.times.popleft()

    def earliest(self, now: float) -> float:
        if len(self.times) < self.limit:
            return now
        return max(now, self.times[-self.limit] + self.period)

    def used(self, now: float) -> int:
        return sum(1 for t in self.times if t > now - self.period)


class RateBudget:
    """Per-category request windows (a minute and an hour), plus the query concurrency slots."""

    def __init__(
        self,
        limits: Mapping[str, BudgetLimits] | None = None,
        *,
        query_concurrency: int = DEFAULT_QUERY_CONCURRENCY,
        clock: Clock = time.monotonic,
    ) -> None:
        self.limits = dict(limits or DEFAULT_LIMITS)
        self.clock = clock
        self.query_concurrency = query_concurrency
        self._lock = threading.Lock()
        self._windows = {
            name: (_Window(lim.per_minute, 60.0), _Window(lim.per_hour, 3600.0))
            for name, lim in self.limits.items()
        }
        self._blocked_until: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self._slots = threading.BoundedSemaphore(query_concurrency)
        self._slots_free = query_concurrency

    def reserve(self, category: str) -> float:
        """Book the next free send time of ``category`` and return the seconds to wait for it
        (0 when the windows have room). Callers are served first come, first served, so
        concurrent callers line up instead of racing. Unknown categories are not limited."""
        windows = self._windows.get(category)
        if windows is None:
            return 0.0
        with self._lock:
            now = self.clock()
            when = max(now, self._blocked_until.get(category, now), self._last.get(category, now))
            for window in windows:
                window.prune(now)
                when = max(when, window.earliest(now))
            for window in windows:
                window.times.append(when)
            self._last[category] = when
            return when - now

    def drain(self, category: str, seconds: float) -> None:
        """PostHog answered 429: its window is full whatever we counted, so nobody using this
        key sends in this category for ``seconds``."""
        if category in self._windows:
            with self._lock:
                until = self.clock() + seconds
                self._blocked_until[category] = max(self._blocked_until.get(category, 0), until)

    def acquire_query_slot(self, timeout: float | None = None) -> bool:
        ok = self._slots.acquire(timeout=timeout) if timeout is not None else self._slots.acquire()
        if ok:
            with self._lock:
                self._slots_free -= 1
        return ok

    def release_query_slot(self) -> None:
        with self._lock:
            self._slots_free += 1
        self._slots.release()

    def status(self) -> dict[str, Any]:
        """Remaining requests per category this minute and this hour, and free query slots."""
        out: dict[str, Any] = {}
        with self._lock:
            now = self.clock()
            for name, (minute, hour) in self._windows.items():
                lim = self.limits[name]
                out[name] = {
                    "remaining_minute": max(0, lim.per_minute - minute.used(now)),
                    "remaining_hour": max(0, lim.per_hour - hour.used(now)),
                    "limit_minute": lim.per_minute,
                    "limit_hour": lim.per_hour,
                }
            out["query_slots_free"] = self._slots_free
            out["query_concurrency"] = self.query_concurrency
        return out


_registry: dict[tuple[str, str, Clock], RateBudget] = {}
_registry_lock = threading.Lock()


def get_shared_budget(
    host: str,
    api_key: str,
    *,
    clock: Clock = time.monotonic,
    limits: Mapping[str, BudgetLimits] | None = None,
    query_concurrency: int = DEFAULT_QUERY_CONCURRENCY,
) -> RateBudget:
    """The process-wide budget of ``(host, key)``; created with the given limits on first use."""
    key_hash = hashlib.sha256(api_key.encode("utf-8")).hexdigest()
    # Keyed by the clock itself: bound methods of one object compare equal.
    reg_key = (host, key_hash, clock)
    with _registry_lock:
        budget = _registry.get(reg_key)
        if budget is None:
            budget = RateBudget(limits, query_concurrency=query_concurrency, clock=clock)
            _registry[reg_key] = budget
        return budget


def reset_budgets() -> None:
    """Forget every shared budget (for test fixtures that reset the server's limits too)."""
    with _registry_lock:
        _registry.clear()

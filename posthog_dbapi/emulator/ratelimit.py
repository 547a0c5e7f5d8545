"""PostHog's per-key throttles (CRUD, analytics, query) with Retry-After, on an injectable clock.

Each throttle keeps the timestamps of recent requests, as DRF's SimpleRateThrottle does; a request
over the limit gets 429 with the seconds until the oldest one leaves the window.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from .errors import ApiError

__all__ = ["DEFAULT_LIMITS", "FakeClock", "RateLimiter", "SystemClock"]

DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "crud": (480, 4800),
    "analytics": (240, 1200),
    "query": (240, 2400),
}
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


class RateLimiter:
    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._history: dict[tuple[str, str, int], deque[float]] = {}
        self._running: dict[str, int] = {}
        self.reset()

    def configure(
        self,
        *,
        crud: tuple[int, int] | None = None,
        analytics: tuple[int, int] | None = None,
        query: tuple[int, int] | None = None,
        query_concurrency: int | None = None,
        enabled: bool | None = None,
    ) -> None:
        with self._lock:
            for name, value in (("crud", crud), ("analytics", analytics), ("query", query)):
                if value is not None:
                    self.limits[name] = value
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
        """Count one request; raise the 429 PostHog sends when a window is full."""
        if not self.enabled:
            return
        now = self._now()
        with self._lock:
            per_minute, per_hour = self.limits[category]
            waits = []
            windows = ((60, per_minute), (3600, per_hour))
            for duration, limit in windows:
                history = self._history.setdefault((key, category, duration), deque())
                while history and history[0] <= now - duration:
                    history.popleft()
                if len(history) >= limit:
                    waits.append(duration - (now - history[0]))
            if waits:
                wait = max(1, math.ceil(max(waits)))
                unit = "second" if wait == 1 else "seconds"
                raise ApiError(
                    429,
                    "throttled_error",
                    "throttled",
                    f"Request was throttled. Expected available in {wait} {unit}.",
                    headers={"Retry-After": str(wait)},
                )
            for duration, _ in windows:
                self._history[(key, category, duration)].append(now)

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

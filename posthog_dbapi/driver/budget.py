"""Client-side rate budgets: request windows per PostHog rate-limit category.

PostHog limits personal-API-key traffic per key and says so only with a 429. Its throttles
(``posthog/rate_limit.py``, ``QueryViewSet.get_throttles``; see ``query-api.json`` of the
reference facts): CRUD 480/min and 4800/hour, analytics 240/min and 1200/hour, a ``HogQLQuery``
sent to the Query API 120 an hour (the default tier; a team may have its own number), other Query
API requests (other query kinds, status polls, cancels) 240/min and 1200/hour. Teams in PostHog's
"API queries" program instead share one bucket of 240/min and 2400/hour for every Query API
request. So the driver keeps its own account: before each request it books a slot in the minute
and hour windows of the request's category (counted like PostHog's sliding-window throttles) and,
when a window is full, waits until the oldest request in it leaves. A long scan therefore slows
itself down instead of collecting 429s; a 429 that still arrives blocks the category for its
``Retry-After``.

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
from typing import Any, Literal, get_args

__all__ = [
    "DEFAULT_LIMITS",
    "QUERY_TIERS",
    "RATE_CATEGORIES",
    "BudgetLimits",
    "QueryTier",
    "RateBudget",
    "RateCategory",
    "get_shared_budget",
    "query_tier",
    "reset_budgets",
]

Clock = Callable[[], float]

RateCategory = Literal["crud", "analytics", "hogql", "query"]
"""PostHog's rate-limit categories, named here once: a route's ``rate_category``, a request's
``category``, a listener event's and a budget's keys are all one of these."""
RATE_CATEGORIES: tuple[RateCategory, ...] = get_args(RateCategory)


@dataclass(frozen=True)
class BudgetLimits:
    """Requests allowed per minute and per hour for one category (``None``: no such window)."""

    per_minute: int | None
    per_hour: int | None


@dataclass(frozen=True)
class QueryTier:
    """How PostHog throttles a key's Query API requests.

    ``hogql`` limits ``HogQLQuery`` requests; ``query`` the other Query API requests. With
    ``shared`` both draw on one bucket (PostHog's API-queries throttles count every request)."""

    name: str
    hogql: BudgetLimits
    query: BudgetLimits
    shared: bool = False


QUERY_TIERS: Mapping[str, QueryTier] = {
    "default": QueryTier("default", BudgetLimits(None, 120), BudgetLimits(240, 1200)),
    "api-queries": QueryTier(
        "api-queries", BudgetLimits(240, 2400), BudgetLimits(240, 2400), shared=True
    ),
}

DEFAULT_LIMITS: Mapping[RateCategory, BudgetLimits] = {
    "crud": BudgetLimits(480, 4800),
    "analytics": BudgetLimits(240, 1200),
    "hogql": QUERY_TIERS["default"].hogql,
    "query": QUERY_TIERS["default"].query,
}
DEFAULT_QUERY_CONCURRENCY = 3

_TIER_HELP = (
    "Use query_tier='default' (120 HogQL queries an hour), 'api-queries' (240 a minute, 2,400 an "
    "hour) or your team's own HogQL limit as a number per hour (e.g. 500) or text ('500/hour', "
    "'20/minute')."
)


def query_tier(value: str | int | QueryTier | None) -> QueryTier:
    """The tier a ``query_tier`` option names; ``ValueError`` (with the fix) for anything else.

    A number is a team's own ``HogQLQuery`` limit per hour (PostHog's per-team override of that
    one throttle, ``Team.api_query_rate_limit``); ``"N/hour"`` and ``"N/minute"`` say it in
    PostHog's own notation. Other Query API requests keep the default tier's limits."""
    if value is None:
        return QUERY_TIERS["default"]
    if isinstance(value, QueryTier):
        return value
    if isinstance(value, bool):
        raise ValueError(f"query_tier must be a tier name or a number, not {value!r}. {_TIER_HELP}")
    text = str(value).strip().lower()
    if text in QUERY_TIERS:
        return QUERY_TIERS[text]
    number, _, unit = text.partition("/")
    unit = unit.strip() or "hour"
    try:
        count = int(number.strip())
    except ValueError:
        count = 0
    if count <= 0 or unit not in ("hour", "minute", "h", "m", "min"):
        raise ValueError(f"query_tier {value!r} is not a tier or a rate. {_TIER_HELP}")
    per_minute = unit in ("minute", "m", "min")
    hogql = BudgetLimits(count, None) if per_minute else BudgetLimits(None, count)
    return QueryTier(
        f"{count}/{'minute' if per_minute else 'hour'}", hogql, QUERY_TIERS["default"].query
    )


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
        self.clock = clock
        self.query_concurrency = query_concurrency
        self._lock = threading.Lock()
        self.tier = QUERY_TIERS["default"]
        self._aliases: dict[str, str] = {}
        self.limits: dict[str, BudgetLimits] = {}
        self._windows: dict[str, tuple[_Window, ...]] = {}
        self._set_limits({str(name): lim for name, lim in (limits or DEFAULT_LIMITS).items()})
        self._blocked_until: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self._slots = threading.BoundedSemaphore(query_concurrency)
        self._slots_free = query_concurrency

    def _set_limits(self, limits: Mapping[str, BudgetLimits]) -> None:
        for name, lim in limits.items():
            old = self._windows.get(name, ())
            windows = []
            for limit, period in ((lim.per_minute, 60.0), (lim.per_hour, 3600.0)):
                if limit is None:
                    continue
                window = _Window(limit, period)
                # Requests already counted stay counted under the new limit.
                for prev in old:
                    if prev.period == period:
                        window.times = prev.times
                windows.append(window)
            self._windows[name] = tuple(windows)
            self.limits[name] = lim

    def set_query_tier(self, tier: QueryTier) -> None:
        """Declare how PostHog throttles this key's Query API requests (see ``QueryTier``)."""
        with self._lock:
            self.tier = tier
            self._set_limits({"hogql": tier.hogql, "query": tier.query})
            self._aliases = {"query": "hogql"} if tier.shared else {}

    def reserve(self, category: str) -> float:
        """Book the next free send time of ``category`` and return the seconds to wait for it
        (0 when the windows have room). Callers are served first come, first served, so
        concurrent callers line up instead of racing. Unknown categories are not limited."""
        with self._lock:
            category = self._aliases.get(category, category)
            windows = self._windows.get(category)
            if windows is None:
                return 0.0
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
        key sends in this category for ``seconds``. This is how the budget learns what it could
        not know (a team's own limit, requests from other processes using the same key)."""
        with self._lock:
            category = self._aliases.get(category, category)
            if category in self._windows:
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
        """Remaining requests per category this minute and this hour (``None`` where the category
        has no such window), seconds it is blocked after a 429, and free query slots."""
        out: dict[str, Any] = {}
        with self._lock:
            now = self.clock()
            for name, windows in self._windows.items():
                lim = self.limits[name]
                entry: dict[str, Any] = {"limit_minute": lim.per_minute, "limit_hour": lim.per_hour}
                for key, period in (("remaining_minute", 60.0), ("remaining_hour", 3600.0)):
                    found = [w for w in windows if w.period == period]
                    entry[key] = max(0, found[0].limit - found[0].used(now)) if found else None
                entry["blocked_seconds"] = max(0.0, self._blocked_until.get(name, now) - now)
                out[name] = entry
            for alias, target in self._aliases.items():
                out[alias] = dict(out[target], shared_with=target)
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
    tier: QueryTier | None = None,
) -> RateBudget:
    """The process-wide budget of ``(host, key)``; created with the given limits on first use.

    A ``tier`` given here applies to the shared budget at once: the last connection to declare
    one says how PostHog throttles the key (requests already counted stay counted)."""
    key_hash = hashlib.sha256(api_key.encode("utf-8")).hexdigest()
    # Keyed by the clock itself: bound methods of one object compare equal.
    reg_key = (host, key_hash, clock)
    with _registry_lock:
        budget = _registry.get(reg_key)
        if budget is None:
            budget = RateBudget(limits, query_concurrency=query_concurrency, clock=clock)
            _registry[reg_key] = budget
    if tier is not None:
        budget.set_query_tier(tier)
    return budget


def reset_budgets() -> None:
    """Forget every shared budget (for test fixtures that reset the server's limits too)."""
    with _registry_lock:
        _registry.clear()

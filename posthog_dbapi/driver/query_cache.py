"""A process-wide cache of Query API answers, so a dashboard loaded twice costs its queries once.

BI tools (Superset, Metabase) send the same HogQL with the same ``values`` on every dashboard load
and every chart refresh; PostHog answers at most 120 HogQL queries an hour per key by default.
An answer is reused for ``ttl`` seconds (the driver's ``query_cache_ttl``, default 60; 0 turns
the cache off) when the host, the API key (kept only as a SHA-256 digest), the project, the
timezone setting, the HogQL text and the values are all the same. Only answers of at most
`MAX_CELLS` cells are kept, so a large keyset page never stays in memory, and a keyset scan's
pages after the first are never offered (``query(cache=False)``): a streamed scan keeps none.

Freshness: an answer can be up to ``ttl`` seconds old. Writes through this package do not
change the HogQL tables (events, persons, sessions are built by PostHog from captured events),
so nothing here needs invalidating; `clear_query_cache` empties it (tests do between cases).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["MAX_CELLS", "MAX_ENTRIES", "QueryCache", "clear_query_cache", "query_cache"]

MAX_CELLS = 200_000
"""The largest answer (rows x columns) kept."""
MAX_ENTRIES = 256


def key_digest(api_key: str) -> str:
    """The form of the API key a cache key holds (never the key itself)."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


class QueryCache:
    """Answers by (host, key digest, project, timezone, HogQL, values), each kept ``ttl`` s."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, ...], tuple[float, Any]] = OrderedDict()

    @staticmethod
    def key(host: str, digest: str, project: str, timezone: str | None, hogql: str,
            values: Mapping[str, Any] | None) -> tuple[str, ...]:  # fmt: skip
        encoded = json.dumps(dict(values or {}), sort_keys=True, default=repr)
        return (host, digest, project, timezone or "", hogql, encoded)

    def get(self, key: tuple[str, ...], ttl: float) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            stored_at, answer = entry
            if self._clock() - stored_at > ttl:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return answer

    def put(self, key: tuple[str, ...], answer: Any, cells: int) -> None:
        if cells > MAX_CELLS:
            return
        with self._lock:
            self._entries[key] = (self._clock(), answer)
            self._entries.move_to_end(key)
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


query_cache = QueryCache()
"""The one cache of the process."""


def clear_query_cache() -> None:
    """Forget every cached answer."""
    query_cache.clear()

"""The route plans of a connection's recent statements, so a repeated statement is not parsed,
translated and rendered again.

A plan depends only on the statement's text, its bound values, the connection's HogQL tables
and its pushdown mode, and running it does not change it (each page copies what it needs), so
a dashboard that sends the same statements on every refresh pays sqlglot once per statement.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from posthog_dbapi.sql.pushdown_planner import Fallback, PushdownPlan

__all__ = ["PlanCache"]

Plan = PushdownPlan | Fallback


class PlanCache:
    """At most ``size`` plans, the least recently used dropped first."""

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._plans: OrderedDict[Hashable, Plan] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], Plan]) -> Plan:
        """The plan stored under ``key``, made (and stored) by ``make()`` when absent. A key
        that cannot be hashed is planned every time."""
        try:
            with self._lock:
                found = self._plans.get(key)
                if found is not None:
                    self._plans.move_to_end(key)
                    return found
        except TypeError:
            return make()
        chosen = make()
        with self._lock:
            self._plans[key] = chosen
            while len(self._plans) > self.size:
                self._plans.popitem(last=False)
        return chosen

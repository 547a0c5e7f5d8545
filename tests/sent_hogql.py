"""What the emulator received as HogQL: the range conditions a query carried, with their values.

Reads the emulator's record of the queries it ran (``app.queries.received``), so a test checks
what reached the server, not what the client reports having sent.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

__all__ = ["timestamp_bounds"]

_BOUND = re.compile(r"\btimestamp\s*(>=|>|<=|<)\s*\{(\w+)\}")


def timestamp_bounds(received: Any) -> list[tuple[str, dt.datetime]]:
    """``(operator, bound)`` of each ``timestamp <op> {placeholder}`` in one received query,
    the bound read from the query's ``values`` as an aware UTC datetime."""
    values = received.values or {}
    bounds = []
    for op, name in _BOUND.findall(received.text):
        moment = dt.datetime.fromisoformat(str(values[name]).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.timezone.utc)  # HogQL reads it in UTC here
        bounds.append((op, moment))
    return bounds

"""What the emulator received on its Query API: the range conditions a HogQL query carried, with
their values, how many Query API requests and ``DatabaseSchemaQuery`` requests it answered.

Reads the emulator's own records (``app.queries.received``, its schema answer), so a test checks
what reached the server, not what the client reports having sent.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

__all__ = ["count_schema_queries", "query_requests", "timestamp_bounds"]


def query_requests(server: Any) -> int:
    """Requests the emulator's Query API endpoint has received since its log was last cleared."""
    return sum(1 for r in server.app.request_log if r.path.endswith("/query/"))


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


def count_schema_queries(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A counter (``[n]``) of the DatabaseSchemaQuery requests the emulator answers from now on."""
    calls = [0]
    answer = emulator.app.queries.database_schema

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return answer(*args, **kwargs)

    monkeypatch.setattr(emulator.app.queries, "database_schema", counted)
    return calls

"""Reading events at scale: keyset paging through the Query API on ``(timestamp, uuid)``.

The legacy ``/events/`` list is deprecated and pages by ``before=<timestamp>``, which skips or
repeats rows that share the boundary timestamp; OFFSET in HogQL is refused for personal API keys.
So events are read oldest first with ``ORDER BY timestamp, uuid`` and each page starts strictly
after the last ``(timestamp, uuid)`` seen: no row is skipped or repeated at a page edge, even when
thousands of events share a timestamp. The HogQL text is a fixed template; every value (filters,
the keyset position, the page size) travels as a ``values`` placeholder.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from posthog_dbapi.driver.query import QueryResult
from posthog_dbapi.exceptions import MalformedResponseError, ValidationError
from posthog_dbapi.types import parse_timestamp

__all__ = ["EVENT_FILTERS", "MAX_QUERY_ROWS", "iter_events"]

MAX_QUERY_ROWS = 50_000
"""PostHog caps a HogQL SELECT at 50,000 rows (``MAX_SELECT_RETURNED_ROWS``)."""

# Filter parameter -> condition; the same names the legacy /events/ list took.
EVENT_FILTERS: Mapping[str, str] = {
    "event": "event = {f_event}",
    "distinct_id": "distinct_id = {f_distinct_id}",
    "person_id": "person_id = {f_person_id}",
    # toDateTime64(<string>, 6, 'UTC') is how PostHog itself prints a bound (its
    # property_types.py); the explicit zone keeps the project's timezone from shifting bounds.
    "after": "timestamp > toDateTime64({f_after}, 6, 'UTC')",
    "before": "timestamp < toDateTime64({f_before}, 6, 'UTC')",
}
_KEYSET = (
    "(timestamp > toDateTime64({k_ts}, 6, 'UTC') OR "
    "(timestamp = toDateTime64({k_ts}, 6, 'UTC') AND toString(uuid) > {k_uuid}))"
)
# toString(uuid) on both sides: ClickHouse orders native UUIDs by their halves, not as text;
# comparing and sorting the same text form keeps the keyset consistent.
_TEMPLATE = (
    "SELECT uuid, event, distinct_id, properties, timestamp, person_id, elements_chain, "
    "created_at FROM events WHERE {where} ORDER BY timestamp ASC, toString(uuid) ASC "
    "LIMIT {{page_limit}}"
)

RunQuery = Callable[[str, Mapping[str, Any]], QueryResult]


def build_page_query(
    filters: Mapping[str, Any], after: tuple[str, str] | None, page_limit: int
) -> tuple[str, dict[str, Any]]:
    """The HogQL text and values of one page."""
    conditions: list[str] = []
    values: dict[str, Any] = {"page_limit": page_limit}
    for name in sorted(filters):
        conditions.append(EVENT_FILTERS[name])
        value = filters[name]
        if name in ("after", "before"):
            value = _utc_text(value, name)
        values[f"f_{name}"] = value
    if after is not None:
        conditions.append(_KEYSET)
        values["k_ts"], values["k_uuid"] = after
    where = " AND ".join(conditions) if conditions else "1 = 1"
    return _TEMPLATE.format(where=where), values


def check_filters(params: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(params) - set(EVENT_FILTERS))
    if unknown:
        raise ValidationError(
            f"events cannot be filtered by {', '.join(unknown)}",
            {"unsupported": unknown, "supported": sorted(EVENT_FILTERS)},
            suggestion="Filter by "
            + ", ".join(sorted(EVENT_FILTERS))
            + ", or use driver.query() with HogQL for anything else.",
        )
    return {k: v for k, v in params.items() if v is not None}


def iter_events(
    run: RunQuery,
    params: Mapping[str, Any] | None = None,
    *,
    page_size: int = 1000,
    offset: int = 0,
    limit: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield events oldest first, lazily, one Query API page at a time."""
    filters = check_filters(params or {})
    page_limit = max(1, min(page_size, MAX_QUERY_ROWS))
    after: tuple[str, str] | None = None
    skip = offset
    produced = 0
    while True:
        if limit is not None:
            # The first pages only feed the offset; after that ask for what is still wanted.
            wanted = limit - produced + skip
            page_limit = max(1, min(page_limit, wanted, MAX_QUERY_ROWS))
        hogql, values = build_page_query(filters, after, page_limit)
        result = run(hogql, values)
        rows = result.dicts()
        for row in rows:
            record = _event_record(row)
            if skip:
                skip -= 1
            else:
                yield record
                produced += 1
                if limit is not None and produced >= limit:
                    return
        if len(rows) < page_limit:
            return
        last = rows[-1]
        position = (_utc_text(last.get("timestamp"), "timestamp"), str(last.get("uuid")))
        if after is not None and position <= after:
            raise MalformedResponseError(
                "The events page did not advance past the previous one",
                {"after": list(after)},
                suggestion="Run the read again; if it persists, report it.",
            )
        after = position


def _event_record(row: Mapping[str, Any]) -> dict[str, Any]:
    record = dict(row)
    props = record.get("properties")
    if isinstance(props, str):
        try:
            record["properties"] = json.loads(props) if props else {}
        except ValueError:
            raise MalformedResponseError(
                "An event's properties are not JSON", {"uuid": record.get("uuid")}
            ) from None
    uid = record.get("uuid")
    if uid is not None:
        record["uuid"] = str(uid)
    # The legacy /events/ list called the uuid "id"; keep both for code written against it.
    record["id"] = record.get("uuid")
    return record


def _utc_text(value: Any, what: str) -> str:
    """``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC: a form every ClickHouse parser reads."""
    if isinstance(value, _dt.datetime):
        moment = value
    elif isinstance(value, _dt.date):
        moment = _dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = parse_timestamp(value)
        except ValueError:
            raise ValidationError(
                f"{what} must be an ISO-8601 date or time, not {value!r}",
                {what: value},
                suggestion="Write e.g. 2024-05-01 or 2024-05-01T12:00:00Z.",
            ) from None
    else:
        raise ValidationError(
            f"{what} must be a date, datetime or ISO-8601 string",
            {what: repr(value)[:50]},
        )
    if moment.tzinfo is not None:
        moment = moment.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")

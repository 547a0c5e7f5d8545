"""The Query API: run HogQL, poll an asynchronous query until done, cancel it.

``POST /api/projects/{id}/query/`` with ``{"query": {"kind": "HogQLQuery", "query", "values"}}``
answers 200 with ``columns``, ``types`` (``[name, ClickHouse type]`` pairs) and ``results`` (row
lists), or 202 with ``query_status`` while it still runs; then ``GET /query/{id}/`` answers 202
until done. Values are always sent as ``values`` placeholders, never formatted into the HogQL text.
"""

from __future__ import annotations

import logging
import uuid as _uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from posthog_dbapi.driver.errors import query_failed
from posthog_dbapi.driver.transport import Transport
from posthog_dbapi.exceptions import InterfaceError, MalformedResponseError, TimeoutError

__all__ = ["REFRESH_MODES", "QueryResult", "cancel_query", "database_schema", "run_query"]

logger = logging.getLogger("posthog_dbapi.driver")

REFRESH_MODES = (
    "blocking",
    "async",
    "force_blocking",
    "force_async",
    "force_cache",
    "lazy_async",
    "async_except_on_cache_miss",
)
POLL_FIRST = 0.25
POLL_MAX = 5.0


@dataclass
class QueryResult:
    """One Query API answer."""

    columns: list[str]
    types: list[str]
    """The ClickHouse type of each column by position, e.g. ``"DateTime64(6, 'UTC')"``."""
    results: list[list[Any]]
    has_more: bool | None = None
    """PostHog's ``hasMore``: set when it applied its default LIMIT and more rows exist; ``None``
    when the query carried its own LIMIT."""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    from_cache: bool = False
    """Answered from the process's query cache: no request was sent (``query_cache``)."""

    def dicts(self) -> list[dict[str, Any]]:
        """The rows as dicts keyed by column name."""
        return [dict(zip(self.columns, row)) for row in self.results]

    def __len__(self) -> int:
        return len(self.results)


def _query_path(project_id: str, suffix: str = "") -> str:
    return f"/api/projects/{project_id}/query/{suffix}"


def run_query(
    transport: Transport,
    project_id: str,
    hogql: str,
    values: Mapping[str, Any] | None = None,
    *,
    refresh: str = "blocking",
    timeout: float | None = None,
    name: str | None = None,
    client_query_id: str | None = None,
    modifiers: Mapping[str, Any] | None = None,
) -> QueryResult:
    """Run ``hogql`` and return its rows; a 202 is polled until the query finishes.

    ``client_query_id`` names the query (a fresh one when ``None``), so a caller that chose it
    can cancel the query from another thread before the answer arrives."""
    if not isinstance(hogql, str) or not hogql.strip():
        raise InterfaceError(
            "query() needs HogQL text", suggestion="Pass e.g. 'SELECT event FROM events LIMIT 10'."
        )
    if refresh not in REFRESH_MODES:
        raise InterfaceError(
            f"refresh must be one of {', '.join(REFRESH_MODES)}, not {refresh!r}",
            {"refresh": refresh},
        )
    if values is not None and not isinstance(values, Mapping):
        raise InterfaceError(
            f"values must be a mapping of placeholder names to values, not {type(values).__name__}",
            {"got": type(values).__name__},
            suggestion="Pass e.g. query('SELECT ... WHERE event = {name}', {'name': '$pageview'}).",
        )
    query: dict[str, Any] = {"kind": "HogQLQuery", "query": hogql}
    if values:
        query["values"] = dict(values)
    if modifiers:
        query["modifiers"] = dict(modifiers)
    client_query_id = client_query_id or _uuid.uuid4().hex
    body: dict[str, Any] = {
        "query": query,
        "refresh": refresh,
        # Reused as the query id, so a retried POST names the same query and cancel works.
        "client_query_id": client_query_id,
    }
    if name:
        body["name"] = name[:128]
    budget = transport.budget
    slot = budget.acquire_query_slot() if budget is not None else False
    try:
        start = transport.clock()
        resp = transport.request(
            "POST",
            _query_path(project_id),
            json=body,
            # PostHog throttles a HogQLQuery POST on its own (120 an hour by default); status
            # polls and cancels count as other Query API requests.
            category="hogql",
            idempotent=True,  # a HogQL SELECT changes nothing; repeating it is safe
            timeout=timeout,
        )
        payload = resp.body
        if resp.status == 202 or _incomplete(payload):
            payload = _poll(transport, project_id, payload, client_query_id, start, timeout)
    finally:
        if slot and budget is not None:
            budget.release_query_slot()
    return _to_result(payload)


def database_schema(
    transport: Transport,
    project_id: str,
    *,
    tables: list[str] | None = None,
    include_fields: bool | None = None,
) -> dict[str, Any]:
    """The project's ``DatabaseSchemaQuery`` answer: ``{"tables": {...}, "joins": [...]}``.

    ``tables`` and ``include_fields`` are the lighter forms newer PostHog servers accept; they
    are sent only when given (an older server refuses unknown keys). PostHog throttles this kind
    with the ClickHouse (analytics) throttles, not the HogQL one."""
    query: dict[str, Any] = {"kind": "DatabaseSchemaQuery"}
    if tables is not None:
        query["tables"] = list(tables)
    if include_fields is not None:
        query["includeFields"] = include_fields
    resp = transport.request(
        "POST",
        _query_path(project_id),
        json={"query": query},
        # Not a HogQLQuery: PostHog's ClickHouse throttles (240/min, 1,200/h), the budget's
        # "query" category (shared with HogQL in the API-queries tier).
        category="query",
        idempotent=True,  # it reads the project's metadata only
    )
    payload = resp.body
    if not isinstance(payload, dict) or not isinstance(payload.get("tables"), dict):
        raise MalformedResponseError(
            "DatabaseSchemaQuery answered without a 'tables' object",
            {"got": type(payload).__name__},
        )
    return payload


def cancel_query(transport: Transport, project_id: str, query_id: str) -> None:
    transport.request(
        "DELETE", _query_path(project_id, f"{query_id}/"), category="query", idempotent=True
    )


def _incomplete(payload: Any) -> bool:
    status = payload.get("query_status") if isinstance(payload, dict) else None
    return isinstance(status, dict) and status.get("complete") is False


def _poll(
    transport: Transport,
    project_id: str,
    payload: Any,
    client_query_id: str,
    start: float,
    timeout: float | None,
) -> dict[str, Any]:
    status = payload.get("query_status") if isinstance(payload, dict) else None
    query_id = status.get("id") if isinstance(status, dict) else None
    query_id = str(query_id or client_query_id)
    deadline = None if timeout is None else start + timeout
    wait = POLL_FIRST
    while True:
        if deadline is not None and transport.clock() + wait > deadline:
            try:
                cancel_query(transport, project_id, query_id)
            except Exception:  # the timeout is the error worth reporting
                logger.debug("Cancelling query %s after the timeout failed", query_id)
            raise TimeoutError(
                f"The query did not finish within {timeout}s",
                {"query_id": query_id, "timeout": timeout},
                suggestion="Raise timeout=, or narrow the query (a date range, a LIMIT).",
            )
        logger.debug("Query %s still running; polling in %.2fs", query_id, wait)
        transport.sleep(wait)
        wait = min(POLL_MAX, wait * 2)
        resp = transport.request(
            "GET", _query_path(project_id, f"{query_id}/"), category="query", idempotent=True
        )
        body = resp.body
        status = body.get("query_status") if isinstance(body, dict) else None
        if not isinstance(status, dict):
            if isinstance(body, dict) and "results" in body:
                return body
            raise MalformedResponseError(
                "The query status answer has no 'query_status'", {"query_id": query_id}
            )
        if status.get("error"):
            raise query_failed(status, query_id, resp.status)
        if status.get("complete"):
            results = status.get("results")
            if isinstance(results, dict):
                return results
            if isinstance(body.get("results"), list):
                return body
            raise MalformedResponseError(
                "A finished query's status carries no results", {"query_id": query_id}
            )


def _to_result(payload: Any) -> QueryResult:
    if not isinstance(payload, dict):
        raise MalformedResponseError(
            "The Query API answered with something other than an object",
            {"got": type(payload).__name__},
        )
    results = payload.get("results")
    columns = payload.get("columns")
    if not isinstance(results, list) or not all(isinstance(r, list) for r in results):
        raise MalformedResponseError("The Query API answer has no list of rows in 'results'")
    if columns is None:
        columns = []
    if not isinstance(columns, list):
        raise MalformedResponseError("The Query API answer's 'columns' is not a list")
    raw_types = payload.get("types") or []
    types: list[str] = []
    if isinstance(raw_types, list):
        for item in raw_types:
            # Pairs of [ClickHouse column name, type]: the names may differ from `columns`,
            # so only the position counts.
            if isinstance(item, (list, tuple)) and len(item) == 2:
                types.append(str(item[1]))
            else:
                types.append(str(item))
    has_more = payload.get("hasMore")
    return QueryResult(
        columns=[str(c) for c in columns],
        types=types,
        results=results,
        has_more=bool(has_more) if has_more is not None else None,
        raw=payload,
    )

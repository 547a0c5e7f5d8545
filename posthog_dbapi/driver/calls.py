"""``PostHogDriver``'s Query API methods and its raw calls.

``query`` runs HogQL through ``POST /api/projects/{id}/query/`` (``query.py`` does the polling of
asynchronous queries), ``cancel_query`` stops one, ``database_schema`` lists the project's HogQL
tables, and ``call_endpoint`` reaches any API path the resource methods do not cover.
``QueryOperations`` is a mixin of ``PostHogDriver``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from posthog_dbapi import exceptions as exc
from posthog_dbapi.driver import query as query_api
from posthog_dbapi.driver.addressing import category_for, check_open, endpoint_path
from posthog_dbapi.driver.budget import RATE_CATEGORIES, RateCategory
from posthog_dbapi.driver.query import QueryResult, cancel_query, run_query
from posthog_dbapi.driver.query_cache import QueryCache, query_cache
from posthog_dbapi.driver.transport import Transport

__all__ = ["QueryOperations"]

_CALL_KWARGS = frozenset({"json", "timeout", "idempotent", "category"})


class QueryOperations:
    """HogQL queries and raw API calls (a mixin of ``PostHogDriver``)."""

    _transport: Transport
    project_id: str
    timezone: str
    query_cache_ttl: float
    _key_digest: str

    def query(
        self,
        hogql: str,
        values: Mapping[str, Any] | None = None,
        *,
        refresh: str = "blocking",
        timeout: float | None = None,
        client_query_id: str | None = None,
        cache: bool = True,
    ) -> QueryResult:
        """Run HogQL through the Query API; ``{name}`` placeholders take ``values``.

        ``client_query_id``: the id to give the query, so ``cancel_query(id)`` can stop it from
        another thread while this call waits; ``timeout`` cancels it server-side when an async
        (``refresh="async"``) query is still running after that many seconds. DateTime values
        are in UTC, or in the project's timezone when the driver has ``timezone="project"``.
        ``cache=False`` leaves the process's answer cache out (a keyset page after the first:
        kept, a streamed scan's pages would all stay in memory)."""
        check_open(self._transport)
        ttl = self.query_cache_ttl
        key = None
        # Only the refresh modes that accept a cached answer; "force_*" asks for a fresh one.
        if (
            ttl > 0
            and cache
            and refresh in ("blocking", "async")
            and isinstance(values, (Mapping, type(None)))
        ):
            key = QueryCache.key(
                self._transport.base_url, self._key_digest, self.project_id, self.timezone,
                hogql, values,
            )  # fmt: skip
            hit = query_cache.get(key, ttl)
            if hit is not None:
                return dataclasses.replace(hit, from_cache=True)
        result = run_query(
            self._transport,
            self.project_id,
            hogql,
            values,
            refresh=refresh,
            timeout=timeout,
            client_query_id=client_query_id,
            modifiers={"convertToProjectTimezone": self.timezone == "project"},
        )
        if key is not None:
            width = max(len(result.columns), len(result.types), 1)
            query_cache.put(key, result, len(result.results) * width)
        return result

    def database_schema(
        self, *, tables: list[str] | None = None, include_fields: bool | None = None
    ) -> dict[str, Any]:
        """Every table the project's HogQL can read (``DatabaseSchemaQuery``), uncached: one
        request per call. ``tables``/``include_fields`` ask newer servers for less."""
        check_open(self._transport)
        return query_api.database_schema(
            self._transport, self.project_id, tables=tables, include_fields=include_fields
        )

    def cancel_query(self, query_id: str) -> None:
        """Cancel a running query by its id (``DELETE /query/{id}/``)."""
        check_open(self._transport)
        cancel_query(self._transport, self.project_id, query_id)

    def call_endpoint(
        self,
        endpoint: str,
        method: str = "GET",
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Call any API path: ``"/dashboards"`` is under the project, ``"/api/..."`` is taken as
        is. Returns the parsed JSON (``None`` for an empty answer). Accepts ``json=`` (alias of
        ``data``), ``timeout=``, ``idempotent=`` and ``category=``."""
        check_open(self._transport)
        unknown = sorted(set(kwargs) - _CALL_KWARGS)
        if unknown:
            raise exc.InterfaceError(
                f"call_endpoint() got unexpected arguments: {', '.join(unknown)}",
                suggestion=f"Supported: {', '.join(sorted(_CALL_KWARGS))}.",
            )
        if not isinstance(endpoint, str) or not endpoint.strip():
            raise exc.InterfaceError("call_endpoint() needs an endpoint path such as '/dashboards'")
        if not isinstance(method, str) or not method.strip():
            raise exc.InterfaceError(
                f"call_endpoint() needs the HTTP method as text, not {method!r}",
                suggestion="Use e.g. method='GET' or method='POST'.",
            )
        body = data if data is not None else kwargs.get("json")
        target = endpoint_path(endpoint.strip(), self.project_id, self._transport)
        category = _check_category(kwargs.get("category")) or category_for(target)
        if category == "query" and _is_hogql_query(body):
            category = "hogql"  # PostHog throttles a HogQLQuery on its own (120/hour)
        resp = self._transport.request(
            method,
            target,
            params=params,
            json=body,
            category=category,
            idempotent=kwargs.get("idempotent"),
            timeout=kwargs.get("timeout"),
        )
        return resp.body


def _is_hogql_query(body: Any) -> bool:
    query = body.get("query") if isinstance(body, Mapping) else None
    return isinstance(query, Mapping) and query.get("kind") == "HogQLQuery"


def _check_category(value: Any) -> RateCategory | None:
    """A ``category=`` given to ``call_endpoint``; one the budget does not know would go
    uncounted, so it is refused."""
    if value is None:
        return None
    for category in RATE_CATEGORIES:
        if value == category:
            return category
    raise exc.InterfaceError(
        f"category must be one of {', '.join(RATE_CATEGORIES)}, not {value!r}",
        {"category": value},
        suggestion="Leave category= out: the driver picks it from the path.",
    )

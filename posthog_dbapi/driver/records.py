"""``PostHogDriver``'s resource operations: read, stream, retrieve, create, update, delete.

Each maps onto the resource's real HTTP semantics, taken from the route directory the catalog
registers: its paths and lookup key, soft (``PATCH {"deleted": true}``) or hard deletes, and its
pagination style (``pagination.py``; event-scale lists page through HogQL, ``events.py``).
``RecordOperations`` is a mixin of ``PostHogDriver``; it needs the driver's transport and project.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from posthog_dbapi import exceptions as exc
from posthog_dbapi.driver import events as _events
from posthog_dbapi.driver.addressing import (
    check_limit,
    check_open,
    find_route,
    parse_read_path,
    path_key,
    pop_int,
)
from posthog_dbapi.driver.errors import record_not_found
from posthog_dbapi.driver.pagination import paginate, paginate_pages
from posthog_dbapi.driver.pipeline import RequestPipeline
from posthog_dbapi.driver.readahead import read_pages_ahead
from posthog_dbapi.driver.routes import DeleteStyle, PaginationStyle, ResourceRoute
from posthog_dbapi.driver.transport import Transport

if TYPE_CHECKING:
    # Typed as the driver's other mixin, whose ``query`` event-scale lists page through; at
    # run time ``PostHogDriver`` combines the two, so this mixin stays a plain class.
    from posthog_dbapi.driver.calls import QueryOperations as _QueryMixin
else:
    _QueryMixin = object

__all__ = ["KEYSET_PAGE_ROWS", "RecordOperations"]

KEYSET_PAGE_ROWS = 10_000
"""Rows per HogQL query when reading an event-scale resource: 1M events in 100 queries (under
PostHog's default 120 an hour), at the price of holding one such page in memory."""

logger = logging.getLogger("posthog_dbapi.driver")


class RecordOperations(_QueryMixin):
    """Lists and records of the catalogued resources (a mixin of ``PostHogDriver``)."""

    _transport: Transport
    project_id: str
    prefetch_pages: int

    # -- reading ------------------------------------------------------------------------------

    def read(
        self, query: str, limit: int | None = None, offset: int | None = None
    ) -> list[dict[str, Any]]:
        """One page of a list (``"/dashboards"``, ``"/events?event=$pageview"``) or one record
        (``"/dashboards/123"``, as a one-element list)."""
        route, key, params = parse_read_path(query, self.project_id, self._transport)
        limit = pop_int(params, "limit", limit)
        offset = pop_int(params, "offset", offset)
        if key is not None:
            return [self.retrieve(route.name, key)]
        limit = check_limit(route, limit, "limit")
        if offset is not None and offset < 0:
            raise exc.ValidationError(
                f"offset must be >= 0, not {offset}", {"offset": offset}, suggestion="Use offset=0."
            )
        size = limit if limit is not None else route.default_page_size
        return list(
            self.iter_records(route.name, params, page_size=size, offset=offset or 0, limit=size)
        )

    def read_batched(self, query: str, batch_size: int = 1000) -> Iterator[list[dict[str, Any]]]:
        """Yield lists of at most ``batch_size`` records, holding one batch in memory. A batch
        larger than one API page is filled from several pages."""
        route, key, params = parse_read_path(query, self.project_id, self._transport)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise exc.ValidationError(
                f"batch_size must be a whole number >= 1, not {batch_size!r}",
                {"batch_size": batch_size},
                suggestion="Use e.g. batch_size=1000.",
            )
        limit = pop_int(params, "limit", None)
        offset = pop_int(params, "offset", None) or 0
        return self._batches(route, key, params, batch_size, offset, limit)

    def _batches(
        self,
        route: ResourceRoute,
        key: str | None,
        params: dict[str, Any],
        batch_size: int,
        offset: int,
        limit: int | None,
    ) -> Iterator[list[dict[str, Any]]]:
        if key is not None:
            yield [self.retrieve(route.name, key)]
            return
        page = batch_size if route.max_page_size is None else min(batch_size, route.max_page_size)
        if route.pagination is PaginationStyle.KEYSET:
            # Each page is a HogQL query, and PostHog allows a key 120 of those an hour by
            # default: small batches are cut from large pages, never fetched one query each.
            page = max(page, min(KEYSET_PAGE_ROWS, route.max_page_size or KEYSET_PAGE_ROWS))
        batch: list[dict[str, Any]] = []
        for record in self.iter_records(
            route.name, params, page_size=page, offset=offset, limit=limit
        ):
            batch.append(record)
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def iter_records(
        self,
        name: str,
        params: Mapping[str, Any] | None = None,
        *,
        page_size: int | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Stream a resource's list lazily, following its own pagination; de-duplicated by id
        within the scan; never silently truncated."""
        check_open(self._transport)
        route = find_route(name)
        if not route.can_list:
            raise exc.NotSupportedError(
                f"PostHog offers no list of {route.name}",
                {"resource": route.name},
                suggestion=f"Read one record with retrieve({route.name!r}, key).",
            )
        if route.pagination is PaginationStyle.KEYSET:
            return _events.iter_events(
                lambda hogql, values: self.query(hogql, values),
                params,
                page_size=page_size or KEYSET_PAGE_ROWS,
                offset=offset,
                limit=limit,
            )

        def fetch(target: str, query: Mapping[str, Any] | None) -> Any:
            return self._transport.request(
                "GET", target, params=query, category=route.rate_category
            ).body

        path = route.collection_path(self.project_id)
        if self.prefetch_pages > 0 and route.pagination is not PaginationStyle.NONE:

            def send(target: str, query: Mapping[str, Any] | None) -> Any:
                return self._transport.request(
                    "GET", target, params=query, category=route.rate_category, raw=True
                )

            def pipelined() -> Iterator[list[dict[str, Any]]]:
                pipeline = RequestPipeline(send, self._transport.decode, fetch)
                try:
                    yield from paginate_pages(
                        route,
                        pipeline.fetch,
                        path,
                        params,
                        page_size=page_size,
                        offset=offset,
                        limit=limit,
                        expect=pipeline.expect,
                    )
                finally:
                    pipeline.close()

            return read_pages_ahead(pipelined(), depth=self.prefetch_pages)
        return paginate(route, fetch, path, params, page_size=page_size, offset=offset, limit=limit)

    def retrieve(self, name: str, key: str | int) -> dict[str, Any]:
        """One record by its lookup key (id, ``name`` for endpoints, ``short_id`` for
        notebooks); ``ObjectNotFoundError`` when it does not exist."""
        check_open(self._transport)
        route = find_route(name)
        path = route.detail_path(self.project_id, path_key(route, key))
        body = self._record_call(route, key, "GET", path)
        return _record(body, route, "retrieve")

    # -- writing ------------------------------------------------------------------------------

    def create(self, object_name: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Create a record; returns it as PostHog stored it (with its id)."""
        check_open(self._transport)
        route = find_route(object_name)
        if not route.can_create:
            raise _unsupported(
                route, f"PostHog does not create {route.name} through its API", "Create"
            )
        body = _check_data(data, "create")
        resp = self._transport.request(
            "POST",
            route.collection_path(self.project_id),
            json=body,
            category=route.rate_category,
        )
        return _record(resp.body, route, "create")

    def update(
        self, object_name: str, record_id: str | int, data: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Change the given fields of a record (PATCH); returns the updated record."""
        check_open(self._transport)
        route = find_route(object_name)
        if not route.can_update:
            raise _unsupported(route, f"PostHog does not allow changing {route.name}", "Change")
        body = _check_data(data, "update")
        path = route.detail_path(self.project_id, path_key(route, record_id))
        result = self._record_call(route, record_id, "PATCH", path, json=body)
        if result is None:
            # Persons answer 202 with no body: the change is queued. Return the record as it is
            # now (UNVERIFIED how soon PostHog cloud shows the change).
            return self.retrieve(route.name, record_id)
        return _record(result, route, "update")

    def delete(self, object_name: str, record_id: str | int) -> bool:
        """Delete a record the way PostHog allows: ``PATCH {"deleted": true}`` for soft-deleted
        resources, ``DELETE`` for the others. Returns ``True``."""
        check_open(self._transport)
        route = find_route(object_name)
        if route.delete_style is DeleteStyle.NONE:
            raise _unsupported(route, f"PostHog does not delete {route.name} one by one", "Delete")
        path = route.detail_path(self.project_id, path_key(route, record_id))
        try:
            if route.delete_style is DeleteStyle.HARD:
                try:
                    self._record_call(route, record_id, "DELETE", path)
                    return True
                except exc.NotSupportedError:
                    # A PostHog version that soft-deletes this resource answers 405.
                    logger.debug("DELETE %s answered 405; soft-deleting instead", path)
            self._record_call(
                route, record_id, "PATCH", path, json={"deleted": True}, idempotent=True
            )
        except exc.ObjectNotFoundError as e:
            if e.details.get("attempts", 1) > 1:
                # Gone on a retry: the try whose answer was lost (a 5xx, a reset) deleted it.
                logger.debug("%s %s was gone on retry: already deleted", route.name, record_id)
                return True
            raise
        return True

    def _record_call(
        self,
        route: ResourceRoute,
        key: str | int,
        method: str,
        path: str,
        *,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """A call on one record; a 404 names the record and the resource."""
        try:
            return self._transport.request(
                method, path, json=json, category=route.rate_category, idempotent=idempotent
            ).body
        except exc.ObjectNotFoundError as e:
            raise record_not_found(e, route.name, key) from None


def _check_data(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise exc.InterfaceError(
            f"{what}() needs the fields as a dict, not {type(data).__name__}",
            suggestion="Pass e.g. {'name': 'My Dashboard'}.",
        )
    return dict(data)


def _record(body: Any, route: ResourceRoute, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise exc.MalformedResponseError(
            f"PostHog's answer to {what} on {route.name} is not an object",
            {"resource": route.name, "got": type(body).__name__},
        )
    return body


def _unsupported(route: ResourceRoute, message: str, verb: str) -> exc.NotSupportedError:
    """A write PostHog's API does not offer, with what it offers instead when the catalog knows."""
    return exc.NotSupportedError(
        message,
        {"resource": route.name},
        suggestion=route.create_unsupported_reason or f"{verb} them in the PostHog app.",
    )

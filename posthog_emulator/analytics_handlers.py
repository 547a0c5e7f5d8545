"""The emulator's handlers of the event-scale routes: persons, events and the Query API.

Persons and events are served from the project's ``EventStore`` (not the REST state), with
PostHog's own quirks: persons page with ``next`` links and answer 202 to changes, events page
by timestamp cursors. ``/query/`` runs HogQL through ``QueryService``, synchronously or as an
asynchronous query to poll, inside the key's concurrent-query limit, and answers
DatabaseSchemaQuery (``/query/`` or ``/query/DatabaseSchemaQuery/``).
"""

from __future__ import annotations

import json
import re

from werkzeug.wrappers import Request

from .auth import ApiKey, check_scope
from .errors import (
    EmptyResponse,
    method_not_allowed,
    not_found,
    validation_error,
)
from .pagination import page_params, page_url, persons_page
from .queries import QueryService, kind_route
from .ratelimit import RateLimiter
from .rest_handlers import admit
from .state import ProjectState
from .wire import WRITE_METHODS, Result, json_body

__all__ = ["events", "persons", "query"]

_UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")
_ASYNC_REFRESH = ("async", "force_async", "lazy_async", "async_except_on_cache_miss")


def persons(
    request: Request,
    state: ProjectState,
    key: ApiKey,
    key_hash: str,
    sub: str,
    limits: RateLimiter,
) -> Result:
    method = request.method
    admit(key, key_hash, sub, limits, "person", write=method in WRITE_METHODS, category="analytics")
    store = state.events
    if not sub:
        if method == "POST":
            # UNVERIFIED: the end of this message after "$identify event".
            raise method_not_allowed(
                method,
                "Creating persons via this API is not allowed. "
                "Please create persons by sending an $identify event.",
            )
        if method != "GET":
            raise method_not_allowed(method)
        limit, offset = page_params(request)
        args = request.args
        results = store.list_persons(
            search=args.get("search") or None,
            distinct_id=args.get("distinct_id") or None,
            email=args.get("email") or None,
            limit=limit,
            offset=offset,
        )
        return 200, persons_page(request, results, limit, offset), {}
    if not (sub.isdigit() or _UUID.match(sub)):
        raise validation_error(
            "The ID provided does not look like a personID. If you are using a distinctId, "
            "please use /persons?distinct_id=... instead."
        )
    if method == "GET":
        person = store.get_person(sub)
        if person is None:
            raise not_found()
        return 200, person, {}
    if method in ("PUT", "PATCH"):
        body = json_body(request)
        props = body.get("properties") if isinstance(body, dict) else None
        if props is None:
            raise validation_error("This field is required.", code="required", attr="properties")
        if not isinstance(props, dict):
            raise validation_error(
                f'Expected a dictionary of items but got type "{type(props).__name__}".',
                code="not_a_dict",
                attr="properties",
            )
        if not store.update_person_properties(sub, props):
            raise not_found()
        raise EmptyResponse(202)
    if method == "DELETE":
        if not store.delete_person(sub):
            raise not_found()
        raise EmptyResponse(202)
    raise method_not_allowed(method)


def events(
    request: Request,
    state: ProjectState,
    key: ApiKey,
    key_hash: str,
    sub: str,
    limits: RateLimiter,
) -> Result:
    method = request.method
    if "/" not in sub and method != "GET":
        raise method_not_allowed(method)
    admit(key, key_hash, sub, limits, "query", write=False, category="analytics")
    store = state.events
    if sub:
        if not _UUID.match(sub):
            # A hand-built response in PostHog, without the usual attr key.
            return (
                400,
                {"detail": "Invalid UUID", "code": "invalid", "type": "validation_error"},
                {},
            )
        event = store.get_event(sub)
        if event is None:
            raise not_found(f"No events exist for event UUID {sub}")
        return 200, event, {}
    args = request.args
    limit, _ = page_params(request, max_limit=1000)
    ascending = _ascending(args.get("orderBy"))
    try:
        rows = store.list_events(
            event=args.get("event") or None,
            distinct_id=args.get("distinct_id") or None,
            person_id=args.get("person_id") or None,
            after=args.get("after") or None,
            before=args.get("before") or None,
            limit=limit + 1,
            ascending=ascending,
        )
    except ValueError as exc:
        raise validation_error(str(exc)) from None
    next_url = None
    if len(rows) > limit:
        rows = rows[:limit]
        cursor = "after" if ascending else "before"
        next_url = page_url(request, **{cursor: rows[-1]["timestamp"]})
    return 200, {"next": next_url, "results": rows}, {}


def query(
    request: Request,
    state: ProjectState,
    key: ApiKey,
    key_hash: str,
    sub: str,
    limits: RateLimiter,
    queries: QueryService,
) -> Result:
    method = request.method
    queries.handle(method, sub)
    check_scope(key, "query", write=False)
    api_tier = state.settings.query_tier == "api-queries"
    limits.hit(key_hash, _query_throttle(request, api_tier))
    path_kind = sub if kind_route(method, sub) else None
    if sub and path_kind is None:
        if method == "DELETE":
            dequeue_only = request.args.get("dequeue_only") == "true"
            return 200, queries.cancel(state.project_id, sub, dequeue_only), {}
        status, body = queries.poll(state.project_id, sub)
        return status, body, {}
    body = json_body(request)
    if queries.kind(body, path_kind) == "DatabaseSchemaQuery":
        # Built from the project's metadata, not run on ClickHouse: outside the concurrency
        # limit, never async (PostHog handles the kind before any query runner).
        return 200, queries.database_schema(state, body), {}
    parsed = queries.parse(body)
    if parsed.refresh in _ASYNC_REFRESH:
        return 202, {"query_status": queries.start_async(state, parsed)}, {}
    if not api_tier:
        return 200, queries.run_sync(state, parsed), {}
    limits.enter_query(key_hash)
    try:
        return 200, queries.run_sync(state, parsed), {}
    finally:
        limits.leave_query(key_hash)


def _query_throttle(request: Request, api_tier: bool) -> str:
    """QueryViewSet.get_throttles: the API-queries throttles for a team in that tier; else
    HogQLQueryThrottle when the body's query is a HogQLQuery; else the ClickHouse ones (which
    is also what polling and cancelling, with no body, get)."""
    if api_tier:
        return "query"
    if request.method == "POST":
        try:
            body = json.loads(request.get_data(cache=True) or b"null")
        except ValueError:
            body = None
        query = body.get("query") if isinstance(body, dict) else None
        if isinstance(query, dict) and query.get("kind") == "HogQLQuery":
            return "hogql"
    return "analytics"


def _ascending(order_by: str | None) -> bool:
    if not order_by:
        return False
    try:
        keys = json.loads(order_by)
    except ValueError:
        return False
    return keys != ["-timestamp"]

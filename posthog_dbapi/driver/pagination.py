"""Paging through REST lists: one strategy per ``PaginationStyle``, all lazy.

A page is fetched only when the caller has consumed the previous one. Within one scan a record is
yielded once (de-duplicated by its id, since limit/offset lists shift when rows are added during a
scan). A page that does not advance (the same ``next`` again, an empty page that still has a
``next``) raises ``MalformedResponseError``: never an endless loop, never a silent truncation.
Event-scale tables (``KEYSET``) are paged through the Query API in ``events.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from posthog_dbapi.driver.routes import PaginationStyle, ResourceRoute
from posthog_dbapi.exceptions import MalformedResponseError

__all__ = ["FetchPage", "paginate"]

FetchPage = Callable[[str, Mapping[str, Any] | None], Any]
"""``fetch(path_or_url, params)`` -> the parsed JSON body of one page (params ``None`` for a
``next`` link, which already carries them)."""


def paginate(
    route: ResourceRoute,
    fetch: FetchPage,
    path: str,
    params: Mapping[str, Any] | None = None,
    *,
    page_size: int | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield the records of the list at ``path`` from ``offset``, at most ``limit`` of them."""
    if limit is not None and limit <= 0:
        return
    size = page_size or route.default_page_size
    if route.max_page_size is not None:
        size = min(size, route.max_page_size)
    if limit is not None:
        # Asking for more than we will use costs the server work and us memory.
        size = min(size, limit)
    style = route.pagination
    if style is PaginationStyle.NONE:
        records: Iterator[dict[str, Any]] = _unpaged(route, fetch, path, params, offset)
    elif style is PaginationStyle.HAS_NEXT:
        records = _has_next(route, fetch, path, params, size, offset)
    elif style is PaginationStyle.CURSOR:
        records = _linked(route, fetch, path, {**(params or {}), "limit": size}, offset, False)
    else:
        base = {**(params or {}), "limit": size}
        if offset:
            base["offset"] = offset
        records = _linked(route, fetch, path, base, 0, style is PaginationStyle.OFFSET_NO_COUNT)
    seen: set[Any] = set()
    count = 0
    for record in records:
        key = record.get(route.id_field) if isinstance(record, dict) else None
        if key is not None:
            marker = (type(key).__name__, str(key))
            if marker in seen:
                continue
            seen.add(marker)
        yield record
        count += 1
        if limit is not None and count >= limit:
            return


def _results(route: ResourceRoute, body: Any, where: str) -> list[dict[str, Any]]:
    if isinstance(body, list):
        rows: Any = body
    elif isinstance(body, dict) and isinstance(body.get("results"), list):
        rows = body["results"]
    else:
        raise MalformedResponseError(
            f"The {route.name} list from {where} has no 'results' list",
            {"url": where, "got": type(body).__name__},
        )
    for row in rows:
        if not isinstance(row, dict):
            raise MalformedResponseError(
                f"The {route.name} list from {where} holds a {type(row).__name__}, not an object",
                {"url": where},
            )
    return list(rows)


def _unpaged(
    route: ResourceRoute,
    fetch: FetchPage,
    path: str,
    params: Mapping[str, Any] | None,
    offset: int,
) -> Iterator[dict[str, Any]]:
    body = fetch(path, params)
    rows = _results(route, body, path)
    yield from rows[offset:]


def _linked(
    route: ResourceRoute,
    fetch: FetchPage,
    path: str,
    params: Mapping[str, Any],
    skip: int,
    no_count: bool,
) -> Iterator[dict[str, Any]]:
    """Follow ``next`` links (limit/offset with or without ``count``, and cursor lists)."""
    target: str = path
    query: Mapping[str, Any] | None = params
    visited: set[str] = set()
    while True:
        body = fetch(target, query)
        rows = _results(route, body, target)
        nxt = body.get("next") if isinstance(body, dict) else None
        if nxt is not None and not isinstance(nxt, str):
            raise MalformedResponseError(
                f"The {route.name} list has a 'next' that is not a URL", {"next": repr(nxt)[:100]}
            )
        if nxt and not rows:
            raise MalformedResponseError(
                f"PostHog returned an empty page of {route.name} with a link to more",
                {"url": target, "next": nxt.split("?", 1)[0]},
                suggestion="The list changed during the scan or the server is misbehaving; "
                "run the read again.",
            )
        for row in rows:
            if skip:
                skip -= 1
                continue
            yield row
        if not nxt:
            return
        if nxt in visited or nxt == target:
            raise MalformedResponseError(
                f"PostHog's 'next' link for {route.name} does not advance",
                {"next": nxt.split("?", 1)[0]},
                suggestion="The scan stopped to avoid an endless loop; run the read again.",
            )
        visited.add(target)
        target, query = nxt, None


def _has_next(
    route: ResourceRoute,
    fetch: FetchPage,
    path: str,
    params: Mapping[str, Any] | None,
    size: int,
    offset: int,
) -> Iterator[dict[str, Any]]:
    """Session recordings: ``{"results", "has_next"}``; the offset is ours to advance."""
    while True:
        body = fetch(path, {**(params or {}), "limit": size, "offset": offset})
        rows = _results(route, body, path)
        has_next = bool(body.get("has_next")) if isinstance(body, dict) else False
        if has_next and not rows:
            raise MalformedResponseError(
                f"PostHog returned an empty page of {route.name} with has_next set",
                {"url": path, "offset": offset},
            )
        yield from rows
        if not has_next:
            return
        offset += len(rows)

"""Paging through REST lists: one strategy per ``PaginationStyle``, all lazy.

A page is fetched only when the caller has consumed the previous one. Within one scan a record is
yielded once (de-duplicated by its id, since limit/offset lists shift when rows are added during a
scan). A page that does not advance (the same ``next`` again, an empty page that still has a
``next``) raises ``MalformedResponseError``: never an endless loop, never a silent truncation.
Event-scale tables (``KEYSET``) are paged through the Query API in ``events.py``.

Limit/offset lists with a ``count`` (most of PostHog's) are read with anchored pages: each page
after the first starts one row early, at the last row already seen (the anchor). When the page
does not hold the anchor, rows before it were deleted and the list shifted left, so a row could
have slipped between two pages: the scan looks back, a page at a time, for the latest row of the
previous page and goes on after it; failing that, it makes another pass from its start (yielding
only ids it has not yielded). So, on a list in a stable order, a row that exists for the whole
scan is returned exactly once; rows created or deleted during the scan may or may not be. A list
that keeps shifting for ``MAX_PASSES`` passes raises ``MalformedResponseError``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from posthog_dbapi.driver.routes import PaginationStyle, ResourceRoute
from posthog_dbapi.exceptions import MalformedResponseError

__all__ = ["MAX_PASSES", "FetchPage", "paginate"]

MAX_PASSES = 3
"""Passes over a limit/offset list that shifted under the scan before giving up."""

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
    elif style is PaginationStyle.OFFSET:
        records = _anchored(route, fetch, path, params or {}, size, offset)
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


def _linked_page(
    route: ResourceRoute, fetch: FetchPage, target: str, query: Mapping[str, Any] | None
) -> tuple[Any, list[dict[str, Any]], str | None]:
    """One page of a list that links to the next: the body, its rows and its ``next`` link,
    checked (a ``next`` that is not a URL, or an empty page that claims more, is an error)."""
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
            {"url": target.split("?", 1)[0], "next": nxt.split("?", 1)[0]},
            suggestion="The list changed during the scan or the server is misbehaving; "
            "run the read again.",
        )
    return body, rows, nxt


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
        _, rows, nxt = _linked_page(route, fetch, target, query)
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


def _with_window(url: str, limit: int, offset: int) -> str:
    """``url`` (a ``next`` link) with its ``limit`` and ``offset`` replaced."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    query = [(k, v) for k, v in query if k not in ("limit", "offset")]
    query += [("limit", str(limit))] + ([("offset", str(offset))] if offset else [])
    return urlunsplit(parts._replace(query=urlencode(query)))


def _anchored(
    route: ResourceRoute,
    fetch: FetchPage,
    path: str,
    params: Mapping[str, Any],
    size: int,
    start: int,
) -> Iterator[dict[str, Any]]:
    """Limit/offset pages, each overlapping the previous one by its last row (the anchor)."""
    cap = route.max_page_size
    # One row more than the page size, so the overlap does not shrink what a page brings.
    overlap_size = max(2, size + 1 if cap is None else min(size + 1, cap))

    def first_page() -> tuple[str, Mapping[str, Any] | None]:
        query = {**params, "limit": size}
        if start:
            query["offset"] = start
        return path, query

    passes = 1
    target, query = first_page()
    recent: list[Any] = []  # ids of the previous page, in list order; the last is the anchor
    link = ""  # the server's last ``next`` link: the base of the windows we ask for
    position = start  # the list position of the first row of the page being fetched
    backoff = 0
    visited: set[str] = set()
    while True:
        body, rows, nxt = _linked_page(route, fetch, target, query)
        fresh = rows
        if recent:
            ids = [row.get(route.id_field) for row in rows]
            known = set(recent)
            found = [i for i, key in enumerate(ids) if key in known]
            if not found:
                # Rows before the anchor were deleted and the list shifted left: a row may
                # have slipped past. Look further back for a row of the previous page.
                if position > start and backoff < MAX_PASSES:
                    backoff += 1
                    position = max(start, position - size)
                    window = overlap_size + backoff * size
                    if cap is not None:
                        window = min(window, cap)
                    target, query = _with_window(link, window, position), None
                    continue
                passes += 1
                if passes > MAX_PASSES:
                    raise MalformedResponseError(
                        f"The {route.name} list kept changing during the scan "
                        f"({MAX_PASSES} passes)",
                        {"resource": route.name, "passes": MAX_PASSES},
                        suggestion="Rows are being deleted faster than they can be read; run "
                        "the read again later, or narrow it with a filter.",
                    )
                # Start over; rows already yielded are dropped by the caller's de-duplication.
                target, query = first_page()
                recent, position, backoff, visited = [], start, 0, set()
                continue
            fresh = rows[found[-1] + 1 :]
            if nxt and not fresh:
                raise MalformedResponseError(
                    f"PostHog's 'next' link for {route.name} does not advance",
                    {"next": nxt.split("?", 1)[0]},
                    suggestion="The scan stopped to avoid an endless loop; run the read again.",
                )
        backoff = 0
        yield from fresh
        count = body.get("count") if isinstance(body, dict) else None
        if not nxt and isinstance(count, int) and position + len(rows) < count:
            # A last page shorter than ``count`` promises: look behind it; a look that brings
            # nothing new while the count still promises more is an error, not an end.
            if not fresh:
                raise MalformedResponseError(
                    f"PostHog's {route.name} list counts {count} rows but stops at "
                    f"{position + len(rows)}",
                    {"count": count, "read": position + len(rows)},
                    suggestion="Run the read again; if it persists, a proxy may be cutting "
                    "pages short.",
                )
            nxt = _with_window(link, size, position + len(rows)) if link else ""
            if not link:
                link_query = {**params, "limit": overlap_size, "offset": position + len(rows) - 1}
                recent = [row.get(route.id_field) for row in rows]
                position += len(rows) - 1
                target, query = path, link_query
                continue
        if not nxt:
            return
        if nxt in visited:
            raise MalformedResponseError(
                f"PostHog's 'next' link for {route.name} does not advance",
                {"next": nxt.split("?", 1)[0]},
                suggestion="The scan stopped to avoid an endless loop; run the read again.",
            )
        visited.add(nxt)
        position += len(rows)
        recent = [key for key in (row.get(route.id_field) for row in rows) if key is not None]
        if rows[-1].get(route.id_field) is None:
            # No id to anchor on: follow the server's link as it is.
            recent, target, query = [], nxt, None
            continue
        # The next page starts one row early, at the anchor.
        link = nxt
        position -= 1
        target, query = _with_window(link, overlap_size, position), None


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

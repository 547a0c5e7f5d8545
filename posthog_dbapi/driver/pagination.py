"""Paging through REST lists: one strategy per ``PaginationStyle``, all lazy.

A page is fetched only when the caller has consumed the previous one (``readahead.py`` fetches
ahead, on request). Within one scan a record is yielded once (de-duplicated by its id, a page at a
time, since limit/offset lists shift when rows are added during a scan). A page that does not
advance (the same ``next`` again, an empty page that still has a ``next``) raises
``MalformedResponseError``: never an endless loop, never a silent truncation. Event-scale
tables (``KEYSET``) are paged through the Query API in ``events.py``.

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
from itertools import islice
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from posthog_dbapi.driver.routes import PaginationStyle, ResourceRoute
from posthog_dbapi.exceptions import MalformedResponseError

__all__ = ["MAX_PASSES", "FetchPage", "paginate", "paginate_pages"]

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
    for page in paginate_pages(
        route, fetch, path, params, page_size=page_size, offset=offset, limit=limit
    ):
        yield from page


def paginate_pages(
    route: ResourceRoute,
    fetch: FetchPage,
    path: str,
    params: Mapping[str, Any] | None = None,
    *,
    page_size: int | None = None,
    offset: int = 0,
    limit: int | None = None,
    expect: Callable[[str], None] | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """``paginate``'s records a page at a time (no empty page): the records of each page not
    yielded before, cut at ``limit``. Working a page at a time keeps the per-record work in
    C-level loops (``_Seen``). ``expect``, when given, is told before each request of a
    limit/offset scan the request likely to follow it (``pipeline.py``)."""
    if limit is not None and limit <= 0:
        return
    size = page_size or route.default_page_size
    if route.max_page_size is not None:
        size = min(size, route.max_page_size)
    if limit is not None:
        # Asking for more than we will use costs the server work and us memory.
        size = min(size, limit)
    style = route.pagination
    pages: Iterator[list[dict[str, Any]]]
    keyed: Iterator[tuple[list[dict[str, Any]], list[Any] | None]] | None = None
    if style is PaginationStyle.NONE:
        pages = _unpaged(route, fetch, path, params, offset)
    elif style is PaginationStyle.HAS_NEXT:
        pages = _has_next(route, fetch, path, params, size, offset)
    elif style is PaginationStyle.CURSOR:
        pages = _linked(route, fetch, path, {**(params or {}), "limit": size}, offset, False)
    elif style is PaginationStyle.OFFSET:
        keyed = _AnchoredScan(route, fetch, path, params or {}, size, offset, expect).pages()
    else:
        base = {**(params or {}), "limit": size}
        if offset:
            base["offset"] = offset
        pages = _linked(route, fetch, path, base, 0, style is PaginationStyle.OFFSET_NO_COUNT)
    if keyed is None:
        keyed = ((page, None) for page in pages)
    seen = _Seen(route.id_field)
    remaining = limit
    for page, keys in keyed:
        fresh = seen.fresh(page, keys)
        if remaining is not None:
            fresh = fresh[:remaining]
            remaining -= len(fresh)
        if fresh:
            yield fresh
        if remaining is not None and remaining <= 0:
            return


_PLAIN_KEYS = frozenset({int, str})
"""Id classes whose values are told apart by value alone within their class."""


class _Seen:
    """The ids one scan has yielded: a record whose id was yielded before is dropped. Ids of
    different classes never match (the id ``1`` is not the id ``"1"``, nor ``True``); a record
    without an id is always new."""

    def __init__(self, id_field: str) -> None:
        self.id_field = id_field
        self.by_class: dict[type, set[Any]] = {}
        self.others: set[tuple[str, str]] = set()

    def fresh(
        self, rows: list[dict[str, Any]], keys: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        """The records of ``rows`` whose ids (``keys``, when the caller has them) are new, in
        order; they are then seen."""
        if keys is None:
            keys = [row.get(self.id_field) for row in rows]
        classes = set(map(type, keys))
        if len(classes) == 1:
            (cls,) = classes
            if cls in _PLAIN_KEYS:
                # The usual page: ids of one class, all distinct, none seen; by set operations.
                page = set(keys)
                seen = self.by_class.setdefault(cls, set())
                if len(page) == len(keys) and seen.isdisjoint(page):
                    seen |= page
                    return rows
        return [row for row, key in zip(rows, keys) if self._first(key)]

    def _first(self, key: Any) -> bool:
        if key is None:
            return True
        seen: set[Any] = self.others
        marker: Any = (type(key).__name__, str(key))
        if key.__class__ in _PLAIN_KEYS:
            seen, marker = self.by_class.setdefault(key.__class__, set()), key
        if marker in seen:
            return False
        seen.add(marker)
        return True


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
    if rows and set(map(type, rows)) != {dict}:
        for row in rows:
            if not isinstance(row, dict):
                raise MalformedResponseError(
                    f"The {route.name} list from {where} holds a {type(row).__name__}, not an "
                    "object",
                    {"url": where},
                )
    return list(rows)


def _unpaged(
    route: ResourceRoute,
    fetch: FetchPage,
    path: str,
    params: Mapping[str, Any] | None,
    offset: int,
) -> Iterator[list[dict[str, Any]]]:
    body = fetch(path, params)
    yield _results(route, body, path)[offset:]


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


def _not_advancing(route: ResourceRoute, nxt: str) -> MalformedResponseError:
    return MalformedResponseError(
        f"PostHog's 'next' link for {route.name} does not advance",
        {"next": nxt.split("?", 1)[0]},
        suggestion="The scan stopped to avoid an endless loop; run the read again.",
    )


def _linked(
    route: ResourceRoute,
    fetch: FetchPage,
    path: str,
    params: Mapping[str, Any],
    skip: int,
    no_count: bool,
) -> Iterator[list[dict[str, Any]]]:
    """Follow ``next`` links (limit/offset with or without ``count``, and cursor lists)."""
    target: str = path
    query: Mapping[str, Any] | None = params
    visited: set[str] = set()
    while True:
        _, rows, nxt = _linked_page(route, fetch, target, query)
        if skip:
            rows, skip = rows[skip:], max(0, skip - len(rows))
        if rows:
            yield rows
        if not nxt:
            return
        if nxt in visited or nxt == target:
            raise _not_advancing(route, nxt)
        visited.add(target)
        target, query = nxt, None


def _with_window(url: str, limit: int, offset: int) -> str:
    """``url`` (a ``next`` link) with its ``limit`` and ``offset`` replaced."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    query = [(k, v) for k, v in query if k not in ("limit", "offset")]
    query += [("limit", str(limit))] + ([("offset", str(offset))] if offset else [])
    return urlunsplit(parts._replace(query=urlencode(query)))


class _AnchoredScan:
    """Limit/offset pages, each overlapping the previous one by its last row (the anchor).

    ``pages()`` drives the scan; each other method is one decision of it, and sets up the next
    request (``target`` and ``query``) when it makes one."""

    def __init__(
        self,
        route: ResourceRoute,
        fetch: FetchPage,
        path: str,
        params: Mapping[str, Any],
        size: int,
        start: int,
        expect: Callable[[str], None] | None = None,
    ) -> None:
        self.route, self.fetch, self.path, self.params = route, fetch, path, params
        self.expect = expect
        self.size, self.start = size, start
        self.cap = route.max_page_size
        # One row more than the page size, so the overlap does not shrink what a page brings.
        self.overlap_size = max(2, size + 1 if self.cap is None else min(size + 1, self.cap))
        self.passes = 1
        self.link = ""  # the server's last ``next`` link: the base of the windows we ask for
        self.target: str = path
        self.query: Mapping[str, Any] | None = None
        self.recent: list[Any] = []  # ids of the previous page in list order; the last anchors
        self.position = start  # the list position of the first row of the page being fetched
        self.backoff = 0
        self.visited: set[str] = set()
        self.count: Any = None  # the list's size by its latest page
        self.likely: str | None = None  # the request after the next one, if pages come full
        self._start_pass()

    def _start_pass(self) -> None:
        query = {**self.params, "limit": self.size}
        if self.start:
            query["offset"] = self.start
        self.target, self.query = self.path, query
        self.recent, self.position, self.backoff, self.visited = [], self.start, 0, set()

    def pages(self) -> Iterator[tuple[list[dict[str, Any]], list[Any]]]:
        """The pages, each with its records' ids (read once a page, for every check here and
        for the caller's de-duplication)."""
        id_field = self.route.id_field
        while True:
            if self.expect is not None and self.likely is not None:
                self.expect(self.likely)
            self.likely = None
            body, rows, nxt = _linked_page(self.route, self.fetch, self.target, self.query)
            self.count = body.get("count") if isinstance(body, dict) else None
            ids = [row.get(id_field) for row in rows]
            fresh, fresh_ids = rows, ids
            if self.recent:
                start = self._after_anchor(ids, nxt)
                if start is None:
                    continue
                fresh, fresh_ids = rows[start:], ids[start:]
            self.backoff = 0
            if fresh:
                yield fresh, fresh_ids
            follow = self._link_behind_short_page(body, rows, ids, fresh, nxt or "")
            if follow is None:
                continue
            if not follow:
                return
            self._advance(rows, ids, follow)

    def _after_anchor(self, ids: list[Any], nxt: str | None) -> int | None:
        """Where the rows after the anchor (or after a row of the previous page) start, by the
        page's ``ids``; ``None`` when the page holds none of them and a look back, or a new
        pass, was set up instead."""
        known = set(self.recent)
        # The usual page starts at the anchor and holds no other row of the page before: told
        # by set operations, without a Python step per row.
        if ids and ids[0] in known and known.isdisjoint(islice(ids, 1, None)):
            last = 0
        else:
            found = [i for i, key in enumerate(ids) if key in known]
            if not found:
                self._recover_from_shift()
                return None
            last = found[-1]
        if nxt and last + 1 >= len(ids):
            raise _not_advancing(self.route, nxt)
        return last + 1

    def _recover_from_shift(self) -> None:
        """Rows before the anchor were deleted and the list shifted left, so a row may have
        slipped past: look further back for a row of the previous page; past ``MAX_PASSES``
        looks, start a new pass (the caller's de-duplication drops rows already yielded)."""
        if self.position > self.start and self.backoff < MAX_PASSES:
            self.backoff += 1
            self.position = max(self.start, self.position - self.size)
            window = self.overlap_size + self.backoff * self.size
            if self.cap is not None:
                window = min(window, self.cap)
            self.target, self.query = _with_window(self.link, window, self.position), None
            return
        self.passes += 1
        if self.passes > MAX_PASSES:
            raise MalformedResponseError(
                f"The {self.route.name} list kept changing during the scan ({MAX_PASSES} passes)",
                {"resource": self.route.name, "passes": MAX_PASSES},
                suggestion="Rows are being deleted faster than they can be read; run the read "
                "again later, or narrow it with a filter.",
            )
        self._start_pass()

    def _link_behind_short_page(
        self,
        body: Any,
        rows: list[dict[str, Any]],
        ids: list[Any],
        fresh: list[dict[str, Any]],
        nxt: str,
    ) -> str | None:
        """The link to follow: the server's ``next`` (``""`` at the end), or, after a last page
        shorter than the list's ``count`` promises, a window behind it. ``None`` when that
        window was set up as the next request directly (no server link to base it on yet)."""
        count = self.count
        end = self.position + len(rows)
        if nxt or not isinstance(count, int) or end >= count:
            return nxt
        # A look that brings nothing new while the count still promises more is an error,
        # not an end.
        if not fresh:
            raise MalformedResponseError(
                f"PostHog's {self.route.name} list counts {count} rows but stops at {end}",
                {"count": count, "read": end},
                suggestion="Run the read again; if it persists, a proxy may be cutting pages "
                "short.",
            )
        if self.link:
            return _with_window(self.link, self.size, end)
        self.recent = ids
        self.position = end - 1
        self.target = self.path
        self.query = {**self.params, "limit": self.overlap_size, "offset": end - 1}
        return None

    def _advance(self, rows: list[dict[str, Any]], ids: list[Any], nxt: str) -> None:
        """Set up the page after ``rows`` (whose ids are ``ids``): a window on ``nxt`` that
        starts at the anchor (the last row), or ``nxt`` as it is when that row has no id to
        anchor on."""
        if nxt in self.visited:
            raise _not_advancing(self.route, nxt)
        self.visited.add(nxt)
        self.position += len(rows)
        self.recent = [key for key in ids if key is not None] if None in ids else ids
        if ids[-1] is None:
            self.recent, self.target, self.query = [], nxt, None
            return
        self.link = nxt
        self.position -= 1
        self.target, self.query = _with_window(nxt, self.overlap_size, self.position), None
        # When this window comes back full with its anchor, as most do, the one after it starts
        # at its last row; none is likely where the count says the list ends within it.
        end = self.position + self.overlap_size
        if isinstance(self.count, int) and end < self.count:
            self.likely = _with_window(nxt, self.overlap_size, end - 1)


def _has_next(
    route: ResourceRoute,
    fetch: FetchPage,
    path: str,
    params: Mapping[str, Any] | None,
    size: int,
    offset: int,
) -> Iterator[list[dict[str, Any]]]:
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
        if rows:
            yield rows
        if not has_next:
            return
        offset += len(rows)

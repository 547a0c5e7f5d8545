"""Keyset paging over the Query API: the one pager every large HogQL read goes through.

PostHog caps one Query API answer at ``QUERY_MAX_ROWS`` rows and refuses OFFSET for personal API
keys, so a read larger than one answer is paged by keyset: the rows are ordered by a total order
(the caller's ORDER BY, then the table's keys such as ``(timestamp, uuid)``), and each page after
the first asks for the rows strictly after the last one seen. No row is skipped or repeated at a
page edge, however many rows share a timestamp.

The pager owns what is the same for every such read: how many rows to ask of each page (a
LIMIT's rows still wanted plus an OFFSET's rows still to skip), when the read ends (a short page,
or the LIMIT reached), the check that each page moved past the previous one (never an endless
loop), and letting a page go before the next one arrives. How a page's HogQL is written (a fixed
template for the driver's ``events`` list, a sqlglot tree for a pushed-down SELECT) is the
caller's ``fetch``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from posthog_dbapi.exceptions import MalformedResponseError

__all__ = ["QUERY_MAX_ROWS", "Page", "first_page_size", "keyset_pages"]

QUERY_MAX_ROWS = 50_000
"""The most rows PostHog's Query API answers at once (``MAX_SELECT_RETURNED_ROWS``)."""


class Page(Protocol):
    """One Query API answer (``posthog_dbapi.driver.query.QueryResult`` is one)."""

    results: list[list[Any]]


Fetch = Callable[[Sequence[Any] | None, int], Page]
"""``fetch(after, rows)``: the page of at most ``rows`` rows strictly after the key ``after``
(``None``: from the start)."""


def first_page_size(page_size: int, offset: int = 0, limit: int | None = None) -> int:
    """The rows to ask of the first page: ``page_size`` (within the API's cap), fewer when a
    LIMIT (with the OFFSET's rows before it) wants fewer."""
    size = max(1, min(page_size, QUERY_MAX_ROWS))
    return size if limit is None else max(0, min(size, limit + offset))


def keyset_pages(
    fetch: Fetch | None,
    key: Callable[[list[Any]], Sequence[Any]],
    *,
    page_size: int,
    offset: int = 0,
    limit: int | None = None,
    first: Page | None = None,
    asked: int | None = None,
) -> Iterator[list[list[Any]]]:
    """The rows of a keyset-paged read, a page at a time, with ``offset`` rows skipped and at
    most ``limit`` given; a page is requested only when the previous one has been consumed.

    ``key(row)`` is a row's position in the keyset order (what ``fetch`` is given as ``after``).
    ``first``, when given, is the first page already fetched (a caller that needs the answer's
    columns before the rows), asked for ``asked`` rows. Without ``fetch`` the read is that one
    page (a query that is not paged).
    """
    page_size = max(1, min(page_size, QUERY_MAX_ROWS))
    skip, remaining = offset, limit
    if first is None:
        if fetch is None:
            raise ValueError("keyset_pages needs the first page or a way to fetch it")
        asked = first_page_size(page_size, offset, limit)
        if asked == 0:
            return
        first = fetch(None, asked)
    elif asked is None:
        asked = page_size
    page: Page | None = first
    del first  # only `page` may keep a page alive (see below)
    previous: Sequence[Any] | None = None
    while page is not None:
        results = page.results
        full = len(results) >= asked
        position = key(results[-1]) if fetch is not None and full and results else None
        rows = results
        if skip:
            rows = rows[skip:]
            skip -= len(results) - len(rows)
        if remaining is not None:
            rows = rows[:remaining]
            remaining -= len(rows)
        # Let the answer go before the next one arrives: a full page of decoded JSON is tens of
        # MB, and holding two at once doubled a stream's peak memory.
        page = None
        del results
        if rows:
            yield rows
        rows = []
        if position is None or (remaining is not None and remaining <= 0):
            return
        if previous is not None and list(position) == list(previous):
            raise MalformedResponseError(
                "A Query API page did not move past the previous one",
                {"after": [str(v) for v in previous]},
                suggestion="Run the read again; if it persists, report it.",
            )
        previous = position
        asked = page_size if remaining is None else min(page_size, remaining + skip)
        assert fetch is not None  # a position is taken only when there is a next page
        page = fetch(position, asked)

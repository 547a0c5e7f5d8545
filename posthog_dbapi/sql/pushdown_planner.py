"""Plan a SELECT for the Query API, and run the plan page by page.

`plan()` decides the route: a `PushdownPlan` (the whole statement runs as HogQL inside PostHog)
or a `Fallback` (it runs in SQLite over the adapters), and refuses with `NotSupportedError` when
the connection says ``pushdown="required"``. `native_plan()` sends HogQL verbatim. `execute()`
runs a plan through ``driver.query()`` and returns a `PushdownResult`: a PEP 249 description and
a lazy row iterator that fetches the next page only when the rows so far are consumed.

Paging: the Query API caps an answer at 50,000 rows and refuses OFFSET for personal API keys.
A plain row scan pages by keyset: the user's ORDER BY (when it is plain columns) followed by the
unique keys of every table it reads (events: ``timestamp, uuid``), continuing each page after the
last row's key values, so equal timestamps neither lose nor repeat rows. That covers joins and
derived tables that carry their tables' keys; the pages' HogQL is `pushdown_pages`'. A user's
OFFSET is skipped client-side. An aggregate is one request; when its answer comes back full and
it has no ORDER BY, it runs again as a subquery on each page, paged by its group keys, which tell
every row apart.
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import math
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from posthog_dbapi.driver.collector import collector_paused
from posthog_dbapi.driver.keyset import QUERY_MAX_ROWS as MAX_ROWS_PER_QUERY
from posthog_dbapi.driver.keyset import keyset_pages
from posthog_dbapi.exceptions import NotSupportedError, OperationalError
from posthog_dbapi.options import PUSHDOWN_MODES, check_choice
from posthog_dbapi.sql.pushdown_dialect import render
from posthog_dbapi.sql.pushdown_pages import count_rows, group_outputs, page_tree
from posthog_dbapi.sql.pushdown_tables import HOGQL_BUILTIN_TABLES, HogQLTable
from posthog_dbapi.sql.pushdown_translate import Translation, Unsupported, translate
from posthog_dbapi.sql.pushdown_types import (
    Description,
    column_converter_for,
    converter_for,
    description_for,
)
from posthog_dbapi.types import utc_text

__all__ = [
    "MAX_ROWS_PER_QUERY",
    "PUSHDOWN_MODES",
    "Fallback",
    "PushdownPlan",
    "PushdownResult",
    "check_pushdown_mode",
    "execute",
    "native_plan",
    "plan",
]

logger = logging.getLogger("posthog_dbapi.sql.pushdown")


def check_pushdown_mode(mode: Any) -> str:
    """The one check of a ``pushdown`` setting: ``connect()``, ``Connection`` and ``plan()``."""
    return check_choice(
        "pushdown", mode, PUSHDOWN_MODES, fix='Use pushdown="auto" (default), "off" or "required".'
    )


class QueryRunner(Protocol):
    """What `execute` needs of the driver (`PostHogDriver.query`)."""

    def query(
        self,
        hogql: str,
        values: Mapping[str, Any] | None = None,
        *,
        refresh: str = ...,
        timeout: float | None = None,
        client_query_id: str | None = None,
        cache: bool = True,
    ) -> Any: ...


@dataclass(frozen=True)
class Fallback:
    """Run the statement in SQLite; `reason` names the part HogQL cannot do exactly."""

    reason: str
    route: str = "sqlite"


_PAGED_MODES = frozenset({"keyset", "grouped"})
"""Plans whose answer may span pages."""


@dataclass
class PushdownPlan:
    sql: str
    hogql: str
    """The HogQL of the first request (later keyset pages add a condition)."""
    values: dict[str, Any]
    columns: list[str]
    mode: str
    """``"single"`` (one request), ``"keyset"`` (paged by the tables' keys) or ``"native"``
    (verbatim HogQL). A single aggregate whose answer comes back full runs again as
    ``"grouped"`` pages (see `execute`)."""
    translation: Translation | None = field(default=None, repr=False)
    route: str = "hogql"


def plan(
    sql: str,
    params: Sequence[Any] | None = None,
    *,
    tables: Mapping[str, HogQLTable] | None = None,
    pushdown: str = "auto",
) -> PushdownPlan | Fallback:
    """The route for one statement. ``tables``: the HogQL tables of the connection (by name)."""
    if check_pushdown_mode(pushdown) == "off":
        return Fallback("pushdown is off for this connection")
    chosen: PushdownPlan | Fallback
    try:
        translation = translate(sql, list(params or ()), dict(tables or HOGQL_BUILTIN_TABLES))
        chosen = _plan_translation(sql, translation)
    except Unsupported as exc:
        chosen = Fallback(exc.reason)
    if isinstance(chosen, Fallback):
        logger.debug("SQLite route for %r: %s", sql[:200], chosen.reason)
        if pushdown == "required":
            raise NotSupportedError(
                f"This SELECT cannot run as HogQL: {chosen.reason}",
                {"reason": chosen.reason},
                suggestion='Rewrite that part, or connect with pushdown="auto" to let it run '
                "in SQLite (slower: rows are fetched first).",
            )
    else:
        logger.debug("HogQL route (%s) for %r: %s", chosen.mode, sql[:200], chosen.hogql)
    return chosen


def _plan_translation(sql: str, translation: Translation) -> PushdownPlan | Fallback:
    names = [c.name for c in translation.columns]
    keyset = bool(translation.key_sources) and (
        not translation.ordered or bool(translation.order_keys)
    )
    wanted = None if translation.limit is None else translation.limit + translation.offset
    scan_in_other_order = bool(translation.key_sources) and not keyset
    if scan_in_other_order and (wanted is None or wanted > MAX_ROWS_PER_QUERY):
        return Fallback("rows in an order the Query API cannot page by keyset, without a LIMIT")
    mode = "keyset" if keyset else "single"
    first = page_tree(translation, None, _first_limit(translation, mode), mode=mode)
    return PushdownPlan(sql, render(first), dict(translation.values), names, mode, translation)


def native_plan(hogql: str, params: Sequence[Any] | Mapping[str, Any] | None = None
                ) -> PushdownPlan:  # fmt: skip
    """HogQL sent verbatim; a mapping of parameters becomes ``values``, a sequence becomes
    ``{p0}``, ``{p1}``..."""
    if isinstance(params, Mapping):
        values = {str(k): _native_value(v) for k, v in params.items()}
    else:
        values = {f"p{i}": _native_value(v) for i, v in enumerate(params or ())}
    logger.debug("Native HogQL route: %s", hogql[:500])
    return PushdownPlan(hogql, hogql, values, [], "native")


def _native_value(value: Any) -> Any:
    """A parameter as the cursor binds it, in JSON: datetimes as ISO text in UTC (a naive one is
    taken as UTC, as the tables store it), dates and times as ISO text, decimals as floats,
    UUIDs as text. Other values go as they are; the driver refuses what JSON cannot carry."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        # UNVERIFIED: that PostHog's HogQL reads ISO text with "T" and "+00:00" as a DateTime
        # where a placeholder is compared to one (the emulator's ClickHouse does).
        return utc_text(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _first_limit(translation: Translation, mode: str, page_size: int = MAX_ROWS_PER_QUERY) -> int:
    wanted = None if translation.limit is None else translation.limit + translation.offset
    size = page_size if mode in _PAGED_MODES else MAX_ROWS_PER_QUERY
    return size if wanted is None else max(0, min(size, wanted))


@dataclass
class PushdownResult:
    """The answer to one plan: `description` and a lazy iterator over its rows."""

    description: list[Description]
    rows: Iterator[tuple[Any, ...]]
    queries: list[str] = field(default_factory=list)
    """The HogQL text of every request sent so far."""

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return self.rows


def execute(
    driver: QueryRunner,
    chosen: PushdownPlan,
    *,
    page_size: int = MAX_ROWS_PER_QUERY,
    timeout: float | None = None,
    refresh: str = "blocking",
    on_query: Callable[[str], None] | None = None,
    queries: list[str] | None = None,
    on_more: Callable[[int], None] | None = None,
) -> PushdownResult:
    """Run `chosen`; the first request is made now (so errors and the description come at
    execute time), the following pages as the rows are consumed.

    ``timeout`` and ``refresh`` go to each Query API request; ``on_query`` is told the id of
    each request before it is sent (so a caller can cancel it from another thread);
    ``queries`` (a list the caller owns) gets the HogQL text of each request actually sent, an
    answer from the driver's query cache is not one. ``on_more`` is told, before they are sent,
    of the requests an open-ended keyset scan needs beyond its first page (see `_rows`); it
    may raise to refuse them."""
    page_size = max(1, min(page_size, MAX_ROWS_PER_QUERY))
    sent: list[str] = queries if queries is not None else []

    def send(hogql: str, values: Mapping[str, Any], cache: bool = True) -> Any:
        logger.debug("HogQL request: %s", hogql)
        # A page after the first stays out of the answer cache: a streamed scan would
        # otherwise keep every page it has read (benchmark 3 grew by the whole table).
        if on_query is None and refresh == "blocking":
            answer = driver.query(hogql, values, timeout=timeout, cache=cache)
        else:
            query_id = uuid.uuid4().hex
            if on_query is not None:
                on_query(query_id)
            answer = driver.query(
                hogql, values, refresh=refresh, timeout=timeout, client_query_id=query_id,
                cache=cache,
            )  # fmt: skip
        if not getattr(answer, "from_cache", False):
            sent.append(hogql)
        return answer

    if chosen.mode == "native" or chosen.translation is None:
        answer = send(chosen.hogql, chosen.values)
        converters = [converter_for(t) for t in answer.types]
        description = [description_for(n, t) for n, t in zip(answer.columns, answer.types)]
        rows = (tuple(f(v) for f, v in zip(converters, row)) for row in answer.results)
        return PushdownResult(description, rows, sent)
    translation = chosen.translation
    limit = _first_limit(translation, chosen.mode, page_size)
    first_tree = page_tree(translation, None, limit, mode=chosen.mode)
    first = send(render(first_tree), translation.values)
    mode = chosen.mode
    if mode == "single" and _fills_an_answer(translation, first, limit):
        if translation.ordered or group_outputs(translation) is None:
            raise _unpaged(chosen, len(first.results))
        # More groups than one answer holds: run again as pages by the group keys. Asking for
        # them first would wrap every aggregate's HogQL for the rare one this large.
        mode = "grouped"
        limit = _first_limit(translation, mode, page_size)
        wanted = None if translation.limit is None else translation.limit + translation.offset
        if on_more is not None:
            on_more(1 if wanted is None else math.ceil(wanted / limit))
        del first
        first = send(render(page_tree(translation, None, limit, mode=mode)),
                     translation.values, False)  # fmt: skip
    description, convert = _reader(translation, first.types[: len(translation.columns)])
    pages = _rows(send, translation, mode, first, limit, page_size, convert, on_more)
    if translation.finish_rows is not None:
        pages = translation.finish_rows(pages)
    return PushdownResult(description, pages, sent)


def _reader(
    translation: Translation, types: Sequence[str]
) -> tuple[list[Description], Callable[[list[list[Any]]], list[tuple[Any, ...]]]]:
    """The PEP 249 description of the answer's columns (`types`: the Query API's), and what
    turns its rows into Python values."""
    width = len(translation.columns)
    by_column = [
        column_converter_for(t) if column.decode is None else _decoding(column.decode)
        for column, t in zip(translation.columns, types)
    ]
    description = []
    for column, type_name in zip(translation.columns, types):
        entry = description_for(column.name, type_name)
        if column.decode is not None:
            entry = (column.name, column.code or "json", None, None, None, None, True)
        description.append(entry)

    def convert(rows: list[list[Any]]) -> list[tuple[Any, ...]]:
        # A column at a time: the columns that need no conversion cost no call per cell. The
        # rows are tuples of values, which hold no cycles: no collection while they are built.
        with collector_paused():
            columns = list(zip(*rows))[:width] if rows else []
            return list(zip(*[
                column if conv is None else conv(column) for conv, column in zip(by_column, columns)
            ]))  # fmt: skip

    return description, convert


def _fills_an_answer(translation: Translation, first: Any, limit: int) -> bool:
    """Whether a one-request answer came back as full as the Query API answers while the
    statement wants more rows."""
    wanted = None if translation.limit is None else translation.limit + translation.offset
    return len(first.results) >= limit and (wanted is None or wanted > limit)


def _unpaged(chosen: PushdownPlan, rows: int) -> OperationalError:
    assert chosen.translation is not None
    shape = chosen.translation.unpaged or "its row order"
    return OperationalError(
        f"The query returned {rows} rows, the most the Query API answers at once, and cannot "
        f"be paged: {shape} keeps it from paging by keyset.",
        {"hogql": chosen.hogql, "reason": shape},
        suggestion='Add a LIMIT, narrow the query, or connect with pushdown="off".',
    )


def _decoding(decode: Callable[[Any], Any]) -> Callable[[Sequence[Any]], list[Any]]:
    def column(values: Sequence[Any]) -> list[Any]:
        return list(map(decode, values))

    return column


_CONVERT_ROWS = 5_000
"""Rows of a page converted at once."""


def _rows(
    send: Callable[..., Any],
    translation: Translation,
    mode: str,
    first: Any,
    limit: int,
    page_size: int,
    convert: Callable[[list[list[Any]]], list[tuple[Any, ...]]],
    on_more: Callable[[int], None] | None = None,
) -> Iterator[tuple[Any, ...]]:
    """The rows of every page. An open-ended keyset scan whose first page comes back full
    counts its rows (one request, told to ``on_more`` first) and tells ``on_more`` the pages
    still to come, so the statement's estimate is the real cost before the second page."""
    width = len(translation.columns)
    base = 1 + max((int(n[1:]) for n in translation.values), default=-1)
    counted = False

    def fetch(after: Sequence[Any] | None, rows: int) -> Any:
        assert after is not None  # the first page is `first`
        nonlocal counted
        if on_more is not None and translation.limit is None and not counted:
            # The first page came back full: count the rest before asking for more.
            counted = True
            on_more(1)
            total = count_rows(send, translation)
            on_more(max(0, total - limit) // page_size + 1)
        values = dict(translation.values)
        names = [f"p{base + i}" for i in range(len(after))]
        values.update(zip(names, after))
        tree = page_tree(translation, list(after), rows, names, mode=mode)
        return send(render(tree), values, False)

    def key(row: list[Any]) -> list[Any]:
        return row[width:]

    pages = keyset_pages(
        fetch if mode in _PAGED_MODES else None,  # only these have a next page
        key,
        page_size=page_size,
        offset=translation.offset,
        limit=translation.limit,
        first=first,
        asked=limit,
    )
    del first  # the pager holds the first page only as long as it needs it
    while True:
        batch = next(pages, None)
        if batch is None:
            return
        # Converted in slices, so a page's converted copy never doubles its memory.
        for start in range(0, len(batch), _CONVERT_ROWS):
            yield from convert(batch[start : start + _CONVERT_ROWS])
        batch = None  # let the page go before the next one is asked for

"""The HogQL-backed adapter: scans an event-scale table through the Query API for SQLite.

Used when a SELECT cannot run whole as HogQL (a function without an exact equivalent, a join
with a REST table): SQLite runs the statement and this adapter feeds it rows. It still pushes
down what it is given (equalities and ranges on the table's columns, such as event name,
timestamp range, distinct_id, person_id, and LIMIT/OFFSET) by composing a plain SELECT that the
pushdown translator turns into HogQL, so it pages by keyset exactly as a pushed-down scan does.

Fetched once per statement: SQLite may ask a virtual table for rows once per outer row of a join
(``events JOIN persons ON person_id = id`` asked ``persons`` once per event). When the statement
may read a table more than once (the cursor decides from its parse: joins, subqueries, a table
named twice, OR), the adapter keeps each scan's rows in the statement's context
(`posthog_dbapi.adapters.state`); a statement that reads one table once streams it and keeps
nothing (a million-row ``SELECT *`` holds a page, not the table). A repeated scan replays the
kept rows, and once a statement asks the same table with a different value of a bound, the
table is fetched whole (with the bounds every call shared) and later calls are answered from
those rows. A table costs at most its first scan and one whole fetch per statement, whatever
SQLite's plan.

Rows hold native values: timestamps as aware UTC ``datetime`` (the virtual table stores them as
``isoformat()`` text, the representation `posthog_dbapi.sql.pushdown_tables` describes), or, on
a connection with ``timezone="project"``, as the project's wall-clock text (``time_shape``),
UUIDs and JSON as text, booleans as 1/0. The shape follows the REST adapter's
(``get_columns``/``get_data``/``estimate``/``close``) so the same virtual-table module drives it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from typing import Any, cast

from shillelagh.fields import Field
from shillelagh.filters import Equal, Filter, Impossible, Operator, Range

from posthog_dbapi.adapters.filters import AnyOf
from posthog_dbapi.adapters.state import CachedScan, ConnectionState
from posthog_dbapi.adapters.values import field_for
from posthog_dbapi.catalog.spec import ColumnType
from posthog_dbapi.exceptions import NotSupportedError
from posthog_dbapi.names import quote_identifier as _quote
from posthog_dbapi.sql.pushdown_planner import MAX_ROWS_PER_QUERY, PushdownPlan, execute, plan
from posthog_dbapi.sql.pushdown_tables import HOGQL_BUILTIN_TABLES, HogQLTable
from posthog_dbapi.sql.pushdown_translate import Unsupported
from posthog_dbapi.sql.time_shape import local_times
from posthog_dbapi.types import utc_text

__all__ = ["MAX_IN_VALUES", "HogQLAdapter", "scan"]

MAX_IN_VALUES = 5_000
"""The most values one IN list carries into a Query API request (each is a ``values`` entry)."""


def _sqlite_param(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return utc_text(value)
    return value


def scan(
    driver: Any,
    table: HogQLTable,
    bounds: dict[str, Filter] | None = None,
    *,
    columns: list[str] | None = None,
    limit: int | None = None,
    offset: int | None = None,
    page_size: int = MAX_ROWS_PER_QUERY,
    on_query: Callable[[str], None] | None = None,
    queries: list[str] | None = None,
    on_more: Callable[[int], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Rows of `table` matching `bounds`, in keyset order, fetched page by page; the HogQL of
    each request sent is added to `queries`."""
    names = columns or table.column_names
    conditions: list[str] = []
    params: list[Any] = []
    for name, bound in (bounds or {}).items():
        if isinstance(bound, Impossible):
            return
        if table.kind(name) is None:
            continue  # SQLite checks what the scan cannot
        if isinstance(bound, Equal):
            conditions.append(f"{_quote(name)} = ?")
            params.append(_sqlite_param(bound.value))
        elif isinstance(bound, AnyOf):
            values = sorted((v for v in bound.values if v is not None), key=repr)
            if not values:
                return  # IN over nothing (or only NULLs) matches no row
            if len(values) <= MAX_IN_VALUES:  # a longer list: scan, and SQLite checks it
                conditions.append(f"{_quote(name)} IN ({', '.join('?' for _ in values)})")
                params.extend(_sqlite_param(v) for v in values)
        elif isinstance(bound, Range):
            if bound.start is not None:
                conditions.append(f"{_quote(name)} {'>=' if bound.include_start else '>'} ?")
                params.append(_sqlite_param(bound.start))
            if bound.end is not None:
                conditions.append(f"{_quote(name)} {'<=' if bound.include_end else '<'} ?")
                params.append(_sqlite_param(bound.end))
    sql = f"SELECT {', '.join(_quote(n) for n in names)} FROM {_quote(table.name)}"
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
        if offset:
            sql += f" OFFSET {int(offset)}"
    # A project whose calendar is UTC stores UTC text either way.
    local = getattr(driver, "timezone", "UTC") == "project" and not driver.calendar().is_utc
    with local_times(local):
        chosen = plan(sql, params, tables={table.name: table})
    if not isinstance(chosen, PushdownPlan):
        # A bound the translator cannot express exactly: scan without it, SQLite re-checks.
        if not conditions:
            raise Unsupported(chosen.reason)
        chosen_all = plan(
            f"SELECT {', '.join(_quote(n) for n in names)} FROM {_quote(table.name)}",
            [],
            tables={table.name: table},
        )
        assert isinstance(chosen_all, PushdownPlan)
        chosen = chosen_all
    rows = execute(driver, chosen, page_size=page_size, on_query=on_query, queries=queries,
                   on_more=on_more)  # fmt: skip
    if not local:
        for row in rows:
            yield dict(zip(names, row))
        return
    # PostHog's calendar: SQLite must see the project's wall-clock time (see time_shape).
    dt_columns = [i for i, n in enumerate(names) if table.kind(n) == "dt"]
    for row in rows:
        values = list(row)
        for i in dt_columns:
            if isinstance(values[i], dt.datetime):
                values[i] = values[i].replace(tzinfo=None).isoformat()
        yield dict(zip(names, values))


def _bounds_key(bounds: dict[str, Filter]) -> tuple[Any, ...]:
    return tuple(sorted((name, repr(bound)) for name, bound in bounds.items()))


def _stored(value: Any) -> Any:
    """A row value as SQLite holds it (what a bound's value was compared with)."""
    if isinstance(value, (dt.datetime, dt.date)):
        return utc_text(value)
    return value


def _equal(stored: Any, wanted: Any) -> bool:
    if stored is None or wanted is None:
        return False
    numbers = (int, float)
    if isinstance(stored, numbers) and isinstance(wanted, numbers):
        return bool(stored == wanted)
    if isinstance(stored, numbers) != isinstance(wanted, numbers):
        return False  # SQLite: a number never equals text in a column without affinity
    return bool(stored == wanted)


def _index_key(value: Any) -> tuple[str, Any] | None:
    """A hash key under which values `_equal` counts equal meet (1 and 1.0 hash alike)."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ("n", value)
    return ("t", value)


_HINT_TYPES: dict[str, tuple[type, ...]] = {"str": (str,), "uuid": (str,), "int": (int,),
                                             "float": (int, float)}  # fmt: skip


def _covers(whole: Filter, asked: Filter | None) -> bool:
    """Whether a fetch bounded by `whole` holds every row a call bounded by `asked` wants."""
    if asked == whole:
        return True
    if not isinstance(whole, AnyOf) or not isinstance(asked, (Equal, AnyOf)):
        return False
    keys = {_index_key(v) for v in whole.values}
    values = [asked.value] if isinstance(asked, Equal) else list(asked.values)
    return all(_index_key(_stored(v)) in keys for v in values if v is not None)


def _matches(row: dict[str, Any], bounds: dict[str, Filter]) -> bool:
    """Whether `row` passes `bounds` as the scan would have filtered it. Ranges and IN lists are
    pre-filters (SQLite checks them again), equalities are final (SQLite omits them)."""
    for name, bound in bounds.items():
        value = _stored(row.get(name))
        if isinstance(bound, Impossible):
            return False
        if isinstance(bound, Equal) and not _equal(value, bound.value):
            return False
        if isinstance(bound, AnyOf) and not any(_equal(value, v) for v in bound.values):
            return False
    return True


class HogQLAdapter:
    """One HogQL table as a virtual table (read only)."""

    supports_in = True
    """``col IN (...)`` arrives as one ``AnyOf`` and becomes one HogQL ``IN``."""

    def __init__(
        self,
        table: str | HogQLTable,
        driver: Any,
        *,
        page_size: int = MAX_ROWS_PER_QUERY,
        on_query: Callable[[str], None] | None = None,
        state: ConnectionState | None = None,
    ) -> None:
        spec = table if isinstance(table, HogQLTable) else HOGQL_BUILTIN_TABLES.get(table)
        if spec is None:
            raise NotSupportedError(
                f"{table!r} is not a HogQL table",
                suggestion=f"Use one of: {', '.join(sorted(HOGQL_BUILTIN_TABLES))}.",
            )
        self.table = spec
        self.driver = driver
        self.state = state
        # The bounds and columns of this statement's first scan and of its whole fetch (only
        # read while the statement's context holds the matching scan).
        self._first_bounds: dict[str, Filter] = {}
        self._first_columns: tuple[str, ...] = ()
        self._whole_bounds: dict[str, Filter] = {}
        self._whole_columns: tuple[str, ...] = ()
        self._index: dict[str, dict[tuple[str, Any], list[int]]] = {}
        self.page_size = page_size
        self._on_query = on_query
        # JSON is text on this side, compared by nothing the scan can push; the other kinds'
        # bounds are pushed exactly. Booleans, UUIDs and dates are declared as the REST side
        # declares them (their catalog kind).
        self._columns: dict[str, Field] = {
            name: field_for(ColumnType.STRING.value, filters=[], exact=False)
            if kind is ColumnType.JSON
            else field_for(kind.value, filters=[Equal, Range], exact=True)
            for (name, _), kind in zip(spec.columns, spec.types)
        }

    @staticmethod
    def supports(uri: str, fast: bool = True, **kwargs: Any) -> bool | None:
        return uri in HOGQL_BUILTIN_TABLES

    @staticmethod
    def parse_uri(uri: str) -> tuple[str]:
        return (uri,)

    def get_columns(self) -> dict[str, Field]:
        return dict(self._columns)

    def estimate(self, pushed: list[tuple[str, Operator]]) -> tuple[float, int]:
        """(cost, rows) for SQLite's planner. Every scan is a Query API request, so a lookup by
        key is not cheap: priced at a tenth of a full scan, SQLite reads the table once instead
        of sending one request per value of an IN list or per outer row of a join (which made
        ``sessions WHERE session_id IN (SELECT ... FROM events)`` one request per session)."""
        names = {name for name, _ in pushed}
        if set(self.table.keys[-1:]) & names:
            return 10_000.0, 1
        return (50_000.0, 10_000) if names else (100_000.0, 1_000_000)

    def get_data(
        self,
        bounds: dict[str, Filter],
        order: list[tuple[str, Any]],
        *,
        limit: int | None = None,
        offset: int | None = None,
        requested_columns: set[str] | None = None,
        **kwargs: Any,
    ) -> Iterator[dict[str, Any]]:
        columns = [n for n in self.table.column_names if not requested_columns
                   or n in requested_columns] or self.table.column_names[:1]  # fmt: skip
        if self.state is None:
            yield from scan(self.driver, self.table, bounds, columns=columns, limit=limit,
                            offset=offset, page_size=self.page_size,
                            on_query=self.on_query)  # fmt: skip
            return
        yield from self._memoised(bounds, columns, limit, offset)

    def _lookup(self, whole: CachedScan, rest: dict[str, Filter]) -> Iterator[dict[str, Any]]:
        """The rows of the whole fetch that pass `rest`: by a hash index on an equality or IN
        column (SQLite asks once per outer row of a join), else by a pass over the rows."""
        column = next((n for n, b in rest.items() if isinstance(b, (Equal, AnyOf))), None)
        if column is None:
            return (row for row in whole if _matches(row, rest))
        index = self._index.get(column)
        if index is None:
            index = {}
            for position, row in enumerate(whole.fill()):
                key = _index_key(_stored(row.get(column)))
                if key is not None:
                    index.setdefault(key, []).append(position)
            self._index[column] = index
        bound = rest[column]
        wanted = [bound.value] if isinstance(bound, Equal) else list(cast(AnyOf, bound).values)
        keys = [k for k in (_index_key(v) for v in wanted) if k is not None]
        positions = sorted({p for k in keys for p in index.get(k, ())})
        rows = whole.rows
        return (rows[p] for p in positions if _matches(rows[p], rest))

    def _fetch(self, bounds: dict[str, Filter], columns: list[str], limit: int | None,
               offset: int | None, *, keep: bool = True) -> CachedScan:  # fmt: skip
        assert self.state is not None
        return CachedScan(scan(self.driver, self.table, bounds, columns=columns, limit=limit,
                               offset=offset, page_size=self.page_size,
                               on_query=self.on_query,
                               queries=self.state.statement.queries,
                               on_more=self.state.statement.on_more), keep=keep)  # fmt: skip

    def _memoised(self, bounds: dict[str, Filter], columns: list[str], limit: int | None,
                  offset: int | None) -> Iterator[dict[str, Any]]:  # fmt: skip
        assert self.state is not None
        scans = self.state.statement.scans
        wanted = tuple(sorted(columns))
        key = ("hogql", self.table.name, wanted, _bounds_key(bounds), limit, offset)
        hit = scans.get(key)
        if hit is not None and hit.replayable:
            yield from hit
            return
        if hit is not None:
            # A statement the cursor judged to read this table once asked the same scan again:
            # its rows were not kept, so it is fetched again (right answer over fewer requests).
            scans[key] = fetched = self._fetch(bounds, columns, limit, offset, keep=False)
            yield from fetched
            return
        whole_key = ("hogql-whole", self.table.name)
        whole = scans.get(whole_key)
        first_key = ("hogql-first", self.table.name)
        first = scans.get(first_key)
        hint = self._join_hint(bounds)
        if whole is None and first is None and hint is None:
            # The first scan of this table in the statement: pushed down as it is.
            # Its rows are kept only when the statement may read the table again.
            keep = self.state.statement.replay
            scans[first_key] = scans[key] = fetched = self._fetch(bounds, columns, limit, offset,
                                                                  keep=keep)  # fmt: skip
            self._first_bounds = dict(bounds)
            self._first_columns = wanted
            yield from fetched
            return
        if (
            whole is None
            or not set(self._whole_columns) >= set(wanted)
            or not all(_covers(b, bounds.get(n)) for n, b in self._whole_bounds.items())
        ):
            # Asked again with other bounds (or asked by a join column whose REST keys are
            # known): fetch the table once with what the calls share, widened to the REST
            # side's keys, with every column asked so far, and answer later calls from it.
            previous = self._whole_bounds if whole is not None else self._first_bounds
            shared = {n: b for n, b in bounds.items() if previous.get(n) == b}
            if first is None and whole is None:
                shared = dict(bounds)
            if hint is not None:
                shared[hint[0]] = hint[1]
            known = set(self._whole_columns if whole is not None else self._first_columns)
            self._whole_columns = tuple(sorted(known | set(wanted)))
            self._whole_bounds = shared
            scans[whole_key] = whole = self._fetch(shared, list(self._whole_columns), None, None)
            self._index = {}
        rest = {n: b for n, b in bounds.items() if self._whole_bounds.get(n) != b}
        matched: Iterator[dict[str, Any]] = self._lookup(whole, rest)
        if offset:
            matched = itertools.islice(matched, offset, None)
        if limit is not None:
            matched = itertools.islice(matched, limit)
        yield from matched

    def _join_hint(self, bounds: dict[str, Filter]) -> tuple[str, AnyOf] | None:
        """(column, every key of the REST table joined on it) when this call asks that column
        for keys among them (`posthog_dbapi.sql.join_keys`): fetching them all at once answers
        this call and every later one of the join with one request."""
        assert self.state is not None
        hints = self.state.statement.join_keys
        for name, bound in bounds.items():
            keys = hints.get((self.table.name, name))
            if not keys or len(keys) > MAX_IN_VALUES or not isinstance(bound, (Equal, AnyOf)):
                continue
            if not all(isinstance(k, _HINT_TYPES.get(self.table.kind(name) or "", ())) and
                       not isinstance(k, bool) for k in keys):  # fmt: skip
                continue  # another type than the column's: the plain scan decides
            widened = AnyOf(frozenset(keys))
            if _covers(widened, bound):
                return name, widened
        return None

    @property
    def on_query(self) -> Callable[[str], None] | None:
        """Told each Query API request's id before it is sent (see ``ConnectionState``); read
        at each scan, since the connection may set its hook after the table is made."""
        if self._on_query is not None or self.state is None:
            return self._on_query
        return self.state.on_query

    def _read_only(self) -> NotSupportedError:
        return NotSupportedError(
            f"{self.table.name} is read only through the Query API",
            {"table": self.table.name},
            suggestion="PostHog builds it from captured events: send events with a PostHog SDK "
            "(capture), not SQL.",
        )

    def insert_data(self, row: dict[str, Any]) -> int:
        raise self._read_only()

    def update_data(self, row_id: int, row: dict[str, Any], **kwargs: Any) -> None:
        raise self._read_only()

    def delete_data(self, row_id: int) -> None:
        raise self._read_only()

    def close(self) -> None:
        """Nothing to release: the connection owns the driver."""

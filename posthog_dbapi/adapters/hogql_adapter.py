"""The HogQL-backed adapter: scans an event-scale table through the Query API for SQLite.

Used when a SELECT cannot run whole as HogQL (a function without an exact equivalent, a join
with a REST table): SQLite runs the statement and this adapter feeds it rows. It still pushes
down what it is given (equalities and ranges on the table's columns, such as event name,
timestamp range, distinct_id, person_id, and LIMIT/OFFSET) by composing a plain SELECT that the
pushdown translator turns into HogQL, so it pages by keyset exactly as a pushed-down scan does.

Rows hold native values: timestamps as aware UTC ``datetime`` (the virtual table stores them as
``isoformat()`` text, the representation `posthog_dbapi.sql.pushdown_tables` describes),
UUIDs and JSON as text, booleans as 1/0. The shape follows the REST adapter's
(``get_columns``/``get_data``/``estimate``/``close``) so the same virtual-table module drives it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from shillelagh.fields import Field
from shillelagh.filters import Equal, Filter, Impossible, Operator, Range

from posthog_dbapi.adapters.filters import AnyOf
from posthog_dbapi.adapters.values import field_for
from posthog_dbapi.exceptions import NotSupportedError
from posthog_dbapi.sql.pushdown_planner import MAX_ROWS_PER_QUERY, PushdownPlan, execute, plan
from posthog_dbapi.sql.pushdown_tables import HOGQL_TABLES, HogQLTable
from posthog_dbapi.sql.pushdown_translate import Unsupported
from posthog_dbapi.types import utc_text

__all__ = ["MAX_IN_VALUES", "HogQLAdapter", "scan"]

MAX_IN_VALUES = 5_000
"""The most values one IN list carries into a Query API request (each is a ``values`` entry)."""

_FIELD_KIND = {"str": "string", "uuid": "string", "json": "string", "int": "integer",
               "float": "number", "dt": "datetime"}  # fmt: skip


def _quote(name: str) -> str:
    """A SQLite identifier for a known column name (they come from HOGQL_TABLES only)."""
    return '"' + name.replace('"', '""') + '"'


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
) -> Iterator[dict[str, Any]]:
    """Rows of `table` matching `bounds`, in keyset order, fetched page by page."""
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
    for row in execute(driver, chosen, page_size=page_size, on_query=on_query):
        yield dict(zip(names, row))


class HogQLAdapter:
    """One HogQL table as a virtual table (read only)."""

    supports_in = True
    """``col IN (...)`` arrives as one ``AnyOf`` and becomes one HogQL ``IN``."""

    def __init__(
        self,
        table: str,
        driver: Any,
        *,
        page_size: int = MAX_ROWS_PER_QUERY,
        on_query: Callable[[str], None] | None = None,
    ) -> None:
        spec = HOGQL_TABLES.get(table)
        if spec is None:
            raise NotSupportedError(
                f"{table!r} is not a HogQL table",
                suggestion=f"Use one of: {', '.join(sorted(HOGQL_TABLES))}.",
            )
        self.table = spec
        self.driver = driver
        self.page_size = page_size
        self.on_query = on_query
        """Told each Query API request's id before it is sent (see ``ConnectionState``)."""
        self._columns: dict[str, Field] = {
            name: field_for(_FIELD_KIND[kind], filters=[Equal, Range], exact=True)
            for name, kind in spec.columns
            if kind != "json"
        }
        self._columns.update({
            name: field_for("string", filters=[], exact=False)
            for name, kind in spec.columns
            if kind == "json"
        })  # fmt: skip
        self._columns = {name: self._columns[name] for name in spec.column_names}

    @staticmethod
    def supports(uri: str, fast: bool = True, **kwargs: Any) -> bool | None:
        return uri in HOGQL_TABLES

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
        yield from scan(
            self.driver,
            self.table,
            bounds,
            columns=columns,
            limit=limit,
            offset=offset,
            page_size=self.page_size,
            on_query=self.on_query,
        )

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

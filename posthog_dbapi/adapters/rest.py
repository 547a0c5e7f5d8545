"""The shillelagh adapter of one PostHog REST resource (one table).

What it pushes into the API, and nothing more:

- equality on the lookup key (``id``, or ``short_id``/``name`` where PostHog keys by those): one
  retrieve request; after a few such lookups in one statement (a join probing the table once per
  outer row) it reads the list once instead and answers from it;
- equality on a column the list endpoint filters exactly (``route.list_params``): a query
  parameter, and SQLite trusts the answer;
- equality on a column a narrowing parameter covers (``search``): the parameter as a pre-filter,
  checked again here and by SQLite;
- LIMIT/OFFSET, when the scan applies every WHERE term itself: pagination;
- the requested columns: only those are converted.

Every scan goes through the statement's page cache (``state.StatementContext``), so the same list
is not fetched twice by one statement. Writes map to POST, PATCH (changed columns only) and
DELETE or soft delete, through the driver.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from itertools import islice
from typing import Any

from shillelagh.adapters.base import Adapter
from shillelagh.fields import Field
from shillelagh.filters import Equal, Filter, Impossible, Operator

from posthog_dbapi.adapters.state import CachedScan, ConnectionState, StatementContext
from posthog_dbapi.adapters.values import field_for, storage_converter, to_api_value
from posthog_dbapi.catalog import get_resource
from posthog_dbapi.driver.routes import DeleteStyle
from posthog_dbapi.exceptions import (
    Error,
    InternalError,
    NotSupportedError,
    ObjectNotFoundError,
    PartialWriteError,
    ProgrammingError,
)

__all__ = ["SEARCH_COLUMNS", "RESTAdapter"]

# Columns the ``search`` list parameter matches as a case-insensitive substring, so equality on
# them can be narrowed by ``search=<value>``. From PostHog's docs and code (feature flags: key or
# name; insights: name, derived_name, ...; datasets: name, description, metadata).
# UNVERIFIED for PostHog's other resources, which is why they are not listed.
SEARCH_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "feature_flags": ("key", "name"),
    "insights": ("name",),
    "datasets": ("name",),
}

# After this many single-record retrieves in one statement, read the whole list once instead.
LOOKUP_BUDGET = 2


def _param(kind: str, value: Any) -> Any:
    # UNVERIFIED: PostHog's DRF filters read booleans as "true"/"false" strings.
    if kind == "boolean" and value in (0, 1):
        return "true" if value else "false"
    return value


class RESTAdapter(Adapter):
    """A PostHog REST resource as a table (rows are native Python values)."""

    safe = True
    supports_limit = True
    supports_offset = True
    supports_requested_columns = True

    def __init__(self, table: str, state: ConnectionState) -> None:
        # shillelagh's Adapter.__init__ only registers an atexit hook, which would keep every
        # adapter (and its driver) alive until exit; the connection closes its tables instead.
        self.table = table
        self.state = state
        self.resource = get_resource(table)
        self.route = self.resource.route
        self.infos = state.fields(table)
        self.column_names = list(self.infos)
        self.kinds = [str(info.get("type", "string")) for info in self.infos.values()]
        self._converters = [
            (name, storage_converter(kind)) for name, kind in zip(self.column_names, self.kinds)
        ]
        self._converter_of = dict(self._converters)
        self.integer_keys = self.route.lookup_type == "int"
        self.exact_params = {
            name
            for name, how in self.route.list_params.items()
            if how == "exact" and name in self.infos
        }
        self.search_columns = (
            tuple(c for c in SEARCH_COLUMNS.get(table, ()) if c in self.infos)
            if self.route.list_params.get("search") == "narrowing"
            else ()
        )
        self._columns: dict[str, Field] = {}
        for name, info in self.infos.items():
            if (
                name == self.route.lookup_field and self.route.can_retrieve
            ) or name in self.exact_params:
                self._columns[name] = field_for(info["type"], filters=[Equal], exact=True)
            elif name in self.search_columns:
                self._columns[name] = field_for(info["type"], filters=[Equal], exact=False)
            else:
                self._columns[name] = field_for(info["type"])

    @staticmethod
    def supports(uri: str, fast: bool = True, **kwargs: Any) -> bool | None:
        try:
            get_resource(uri)
        except Error:
            return False
        return True

    @staticmethod
    def parse_uri(uri: str) -> tuple[Any, ...]:
        return (uri,)

    def get_columns(self) -> dict[str, Field]:
        return self._columns

    # --- reading ----------------------------------------------------------------------------

    def estimate(self, pushed: list[tuple[str, Operator]]) -> tuple[float, int]:
        """(cost, rows) for SQLite's planner: a lookup is one request for one row."""
        names = {name for name, _ in pushed}
        if self.route.lookup_field in names:
            return 100.0, 1
        if names & self.exact_params:
            return 300.0, 50
        if names:
            return 600.0, 200
        return 1000.0, 1000

    def stored_values(self, record: dict[str, Any]) -> dict[str, Any]:
        """Every column of ``record`` as the value SQLite holds for it."""
        get = record.get
        return {name: convert(get(name)) for name, convert in self._converters}

    def rowid_of(self, record: dict[str, Any]) -> int:
        """The SQLite rowid of a record this statement read; an UPDATE of that row diffs
        against the record."""
        key = record.get(self.route.lookup_field, record.get(self.route.id_field))
        rowid = self.state.rowid_for(self.table, key, integer_keys=self.integer_keys)
        self.state.statement.seen[(self.table, rowid)] = record
        return rowid

    def _row(self, record: dict[str, Any]) -> dict[str, Any]:
        row = self.stored_values(record)
        row["rowid"] = self.rowid_of(record)
        return row

    def _matches(self, record: dict[str, Any], bounds: dict[str, Filter]) -> bool:
        for name, bound in bounds.items():
            if isinstance(bound, Impossible):
                return False
            if isinstance(bound, Equal):
                stored = self._converter_of[name](record.get(name))
                if not _same(stored, bound.value):
                    return False
        return True

    def _scan(
        self,
        ctx: StatementContext,
        params: dict[str, Any],
        limit: int | None = None,
        offset: int = 0,
    ) -> CachedScan:
        key = (self.table, tuple(sorted(params.items())), limit, offset)
        scan = ctx.scans.get(key)
        if scan is None:
            # Without a LIMIT, SQLite will want every row: the largest page keeps a scan within
            # the rate budget (50,000 rows are 50 CRUD requests, not 500).
            page_size = self.route.max_page_size
            if limit is not None and page_size is not None:
                page_size = max(1, min(limit, page_size))
            source = self.state.driver.iter_records(
                self.table, params or None, page_size=page_size, offset=offset, limit=limit
            )
            scan = ctx.scans[key] = CachedScan(source)
        return scan

    def _full_scan_rows(self, ctx: StatementContext) -> list[dict[str, Any]] | None:
        scan = ctx.scans.get((self.table, (), None, 0))
        return scan.rows if scan is not None and scan.complete else None

    def _lookup(self, value: Any, ctx: StatementContext) -> Iterator[dict[str, Any]]:
        lookup = self.route.lookup_field
        cached = self._full_scan_rows(ctx)
        count = ctx.lookups.get(self.table, 0) + 1
        ctx.lookups[self.table] = count
        if cached is None and count > LOOKUP_BUDGET and self.route.can_list:
            cached = self._scan(ctx, {}).fill()
        if cached is not None:
            yield from (r for r in cached if _same(r.get(lookup), value))
            return
        if self.integer_keys:
            try:
                value = int(value)
            except (TypeError, ValueError):
                return
        retrieve_key = (self.table, "retrieve", value)
        hit = ctx.scans.get(retrieve_key)
        if hit is None:
            try:
                record = dict(self.state.driver.retrieve(self.table, value))
                # A retrieve can answer in another shape than the list (persons: the list's id is
                # the uuid, the retrieve's id an integer); the API found it by this key, so the
                # row keeps the key it was asked by.
                record[lookup] = value
                records = iter([] if record.get("deleted") is True else [record])
            except ObjectNotFoundError:
                records = iter([])
            hit = ctx.scans[retrieve_key] = CachedScan(records)
        yield from hit

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
        """shillelagh's interface: rows as dicts of storage values, with their ``rowid``."""
        for record in self.scan_records(bounds, limit=limit, offset=offset):
            yield self._row(record)

    def list_taker(
        self, *, limit: int | None = None, offset: int = 0
    ) -> Callable[[int], list[dict[str, Any]]]:
        """``take(n)``: the next ``n`` records of the whole list (no filter) from ``offset``, at
        most ``limit`` in all; fewer at the end. The same requests as ``scan_records({}, ...)``
        (a page only when the records fetched so far are used up), by C-level slices of the
        statement's page cache instead of a generator step per record."""
        scan: CachedScan | None = None
        position = 0

        def take(count: int) -> list[dict[str, Any]]:
            nonlocal scan, position
            if scan is None:  # on the first fetch, as ``scan_records`` would
                self._check_can_list()
                scan = self._scan(self.state.statement, {}, limit, offset)
            records = scan.take(position, count)
            position += len(records)
            return records

        return take

    def _check_can_list(self) -> None:
        if not self.route.can_list:
            lookup = self.route.lookup_field
            raise NotSupportedError(
                f"PostHog cannot list {self.table}; select one record by "
                f"{lookup} (WHERE {lookup} = ...).",
            )

    def scan_records(
        self, bounds: dict[str, Filter], *, limit: int | None = None, offset: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """The API records of the rows within ``bounds`` and the LIMIT/OFFSET window, fetched
        a page at a time as they are consumed; each is converted only by its reader."""
        ctx = self.state.statement
        if any(isinstance(b, Impossible) for b in bounds.values()):
            return
        lookup = self.route.lookup_field
        local_window = True
        key_bound = bounds.get(lookup)
        if isinstance(key_bound, Equal):
            records: Iterator[dict[str, Any]] = self._lookup(key_bound.value, ctx)
        else:
            self._check_can_list()
            params: dict[str, Any] = {}
            for name, bound in bounds.items():
                if isinstance(bound, Equal) and name in self.exact_params:
                    params[name] = _param(self.infos[name]["type"], bound.value)
            narrowing = [n for n in bounds if n in self.search_columns]
            if narrowing:
                params["search"] = str(getattr(bounds[narrowing[0]], "value", ""))
                records = iter(self._scan(ctx, params))
            else:
                # Every pushed filter is exact, so the API can apply the window.
                records = iter(self._scan(ctx, params, limit, offset or 0))
                local_window = False
        rows = records
        if bounds:
            rows = (r for r in records if self._matches(r, bounds))
        if local_window and (limit is not None or offset):
            stop = None if limit is None else (offset or 0) + limit
            rows = islice(rows, offset or 0, stop)
        yield from rows

    # --- writing ----------------------------------------------------------------------------

    def _partial(self, ctx: StatementContext, exc: Exception, failed: Any) -> Exception:
        """The error a write statement raises: which rows were applied, and which one may have
        been (the driver marks a request PostHog may have applied before it failed)."""
        if isinstance(exc, PartialWriteError):
            return exc
        uncertain = isinstance(exc, Error) and exc.details.get("maybe_applied") is True
        check = (
            f"PostHog may have applied the write of details['uncertain'] before the failure; "
            f"look it up in {self.table} before repeating it."
        )
        if not ctx.applied:
            if uncertain and isinstance(exc, Error):
                exc.details.update(applied=[], uncertain=failed, table=self.table)
                exc.details["suggestion"] = check
            return exc
        details = {"applied": list(ctx.applied), "failed": failed, "table": self.table}
        if uncertain:
            details["uncertain"] = failed
        return PartialWriteError(
            f"The statement stopped after writing {len(ctx.applied)} row(s) of {self.table}"
            + ("; the next one may or may not have been written" if uncertain else "")
            + f": {exc}",
            details,
            status=getattr(exc, "status", None),
            code=getattr(exc, "code", None),
            suggestion=check if uncertain else None,
        )

    def _body(self, row: dict[str, Any], columns: list[str]) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for name in columns:
            info = self.infos[name]
            if info.get("read_only"):
                raise ProgrammingError(
                    f"Column {self.table}.{name} is read-only.",
                    {"table": self.table, "column": name},
                    suggestion=f"Leave {name} out; PostHog sets it.",
                )
            body[name] = to_api_value(self.table, name, info, row[name])
        return body

    def insert_data(self, row: dict[str, Any]) -> int:
        ctx = self.state.statement
        if not self.route.can_create:
            raise NotSupportedError(
                f"PostHog does not let one insert into {self.table}.",
                {"table": self.table},
                suggestion=self.route.create_unsupported_reason or "Create it in PostHog.",
            )
        # SQLite passes NULL for columns the INSERT leaves out, so NULL means "not sent".
        body = self._body(row, [n for n, v in row.items() if v is not None and n in self.infos])
        try:
            record = self.state.driver.create(self.table, body)
        except Exception as exc:
            raise self._partial(ctx, exc, body) from exc
        key = record.get(self.route.lookup_field, record.get(self.route.id_field))
        ctx.applied.append(record.get(self.route.id_field, key))
        rowid = self.state.rowid_for(self.table, key, integer_keys=self.integer_keys)
        ctx.created_rowid = rowid
        return rowid

    def update_data(
        self, row_id: int, row: dict[str, Any], *, new_rowid: int | None = None
    ) -> None:
        ctx = self.state.statement
        if not self.route.can_update:
            raise NotSupportedError(
                f"PostHog does not let one update {self.table}.",
                {"table": self.table},
                suggestion=self.route.create_unsupported_reason or "Change it in PostHog.",
            )
        record = ctx.seen.get((self.table, row_id))
        if record is None:
            raise InternalError(f"UPDATE of {self.table} lost track of row {row_id}.")
        old = self.stored_values(record)
        changed = [
            name
            for name, value in row.items()
            if name in self.infos and not _same_stored(old.get(name), value)
        ]
        if not changed:
            return
        body = self._body(row, changed)
        key = self.state.key_for(self.table, row_id, integer_keys=self.integer_keys)
        try:
            self.state.driver.update(self.table, key, body)
        except Exception as exc:
            raise self._partial(ctx, exc, key) from exc
        ctx.applied.append(key)

    def delete_data(self, row_id: int) -> None:
        ctx = self.state.statement
        if self.route.delete_style is DeleteStyle.NONE:
            raise NotSupportedError(
                f"PostHog does not let one delete from {self.table}.",
                {"table": self.table},
                suggestion=self.route.create_unsupported_reason or "Delete it in PostHog.",
            )
        key = self.state.key_for(self.table, row_id, integer_keys=self.integer_keys)
        try:
            self.state.driver.delete(self.table, key)
        except Exception as exc:
            raise self._partial(ctx, exc, key) from exc
        ctx.applied.append(key)

    def close(self) -> None:
        """Nothing to release: the connection owns the driver."""


def _same(stored: Any, wanted: Any) -> bool:
    """Equality as SQLite would see it (True == 1, datetimes as ISO text)."""
    return _same_stored(stored, wanted)


def _same_stored(native: Any, sqlite_value: Any) -> bool:
    if native is None or sqlite_value is None:
        return native is None and sqlite_value is None
    if hasattr(native, "isoformat"):
        native = native.isoformat()
    if hasattr(sqlite_value, "isoformat"):
        sqlite_value = sqlite_value.isoformat()
    if isinstance(native, str) != isinstance(sqlite_value, str):
        return str(native) == str(sqlite_value)
    return bool(native == sqlite_value)

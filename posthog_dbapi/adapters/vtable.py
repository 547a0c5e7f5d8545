"""A thin SQLite virtual-table module (apsw) that drives our shillelagh adapters.

shillelagh's own ``VTModule`` is not used, for reasons found by probing shillelagh 1.4.5:

- it hands integer columns to SQLite as text (``typeof(id)`` is ``'text'``);
- it lets SQLite push LIMIT/OFFSET into a scan whose filters SQLite still re-checks, so an adapter
  that pre-filters with a narrowing API parameter would cut the wrong rows;
- it turns an adapter's ``ValueError``/``TypeError`` on INSERT into a silent rowid 0;
- its adapters register an ``atexit`` hook each, which keeps every driver alive until exit.

This module keeps shillelagh's adapter shape (``get_columns`` returning ``Field`` objects,
``get_data(bounds, order, limit=, offset=, requested_columns=)`` with ``shillelagh.filters``
objects, ``insert_data``/``update_data``/``delete_data``) and does the SQLite side itself:
values stay native (int, float, text), and the plan is passed as JSON in ``idxStr``.

While the cursor probes a statement (``StatementContext.probe``, `posthog_dbapi.dbapi.native`),
``Filter`` notes its arguments and returns no rows, so SQLite's own plan says what to copy.

The ``CREATE VIRTUAL TABLE`` text carries two quoted words: the table name and the connection
token. Nothing else, so ``sqlite_master`` holds no secret.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from typing import Any

import apsw
from shillelagh.filters import Equal, Filter, Impossible, Operator, Range

from posthog_dbapi.adapters.bulk import ProbedScan, declaration
from posthog_dbapi.adapters.filters import AnyOf
from posthog_dbapi.adapters.hogql_adapter import HogQLAdapter
from posthog_dbapi.adapters.rest import RESTAdapter
from posthog_dbapi.adapters.rows import storage_row_builder
from posthog_dbapi.adapters.state import lookup_state
from posthog_dbapi.names import quote_identifier
from posthog_dbapi.types import utc_text

__all__ = ["MODULE_NAME", "PostHogVTModule", "create_table_sql"]

MODULE_NAME = "posthog"

_EQ = apsw.SQLITE_INDEX_CONSTRAINT_EQ
_LIMIT = apsw.SQLITE_INDEX_CONSTRAINT_LIMIT
_OFFSET = apsw.SQLITE_INDEX_CONSTRAINT_OFFSET
# SQLite reports at most 64 columns in colUsed; bit 63 stands for "column 63 or later".
_COL_USED_OVERFLOW = 63


_RANGE_OPS = {
    apsw.SQLITE_INDEX_CONSTRAINT_GT: ">",
    apsw.SQLITE_INDEX_CONSTRAINT_GE: ">=",
    apsw.SQLITE_INDEX_CONSTRAINT_LT: "<",
    apsw.SQLITE_INDEX_CONSTRAINT_LE: "<=",
}

Adapter = RESTAdapter | HogQLAdapter


def create_table_sql(table: str, token: str) -> str:
    """The statement that creates the virtual table ``table`` for the connection ``token``."""
    return (
        f"CREATE VIRTUAL TABLE {quote_identifier(table)} USING {MODULE_NAME}('{table}', '{token}')"
    )


_STORAGE_TYPES = frozenset({int, float, str, bytes, bool})


def _sqlite_value(value: Any) -> Any:
    """A native row value as one of SQLite's storage types."""
    if value is None or isinstance(value, (int, float, str, bytes)):
        return value
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return utc_text(value)
    return str(value)


def _probed(
    adapter: Adapter, plan: dict[str, Any], bounds: dict[str, Filter], limit: Any, offset: Any
) -> bool:
    """Note the scan for the cursor and return True when the statement is only being asked how
    it would scan (``StatementContext.probe``): then the scan reads nothing."""
    state = adapter.state
    probe = state.statement.probe if state is not None else None
    if probe is None:
        return False
    probe.append(ProbedScan(adapter, frozenset(plan["columns"]), bounds, limit, offset))
    return True


def _scan_arguments(
    indexname: str, constraintargs: tuple[Any, ...]
) -> tuple[dict[str, Any], dict[str, Filter], Any, Any]:
    """(plan, bounds, limit, offset) of one scan, from the plan ``BestIndexObject`` chose and the
    values SQLite bound to its constraints."""
    plan = json.loads(indexname)
    args = list(constraintargs)
    bounds: dict[str, Filter] = {}
    for name, position in plan["eq"]:
        value = args[position]
        previous = bounds.get(name)
        if isinstance(previous, Equal) and previous.value != value:
            bounds[name] = Impossible()
        elif not isinstance(previous, Impossible):
            bounds[name] = Equal(value)
    for name, position in plan["in"]:
        if name not in bounds:  # an equality on the same column already narrows more
            bounds[name] = AnyOf(frozenset(args[position]))
    for name, op, position in plan["range"]:
        value = args[position]
        if value is None:  # a comparison with NULL matches nothing
            bounds[name] = Impossible()
            continue
        start, end = (value, None) if op in (">", ">=") else (None, value)
        bound: Filter = Range(start, end, include_start=op == ">=", include_end=op == "<=")
        previous = bounds.get(name)
        if isinstance(previous, Impossible):
            continue
        if isinstance(previous, Range):
            bound = previous + bound
        elif previous is not None:
            continue  # an equality already narrows more; SQLite checks the rest
        bounds[name] = bound
    limit = args[plan["limit"]] if plan["limit"] is not None else None
    offset = args[plan["offset"]] if plan["offset"] is not None else None
    return plan, bounds, limit, offset


class PostHogVTModule:
    """The apsw module object: builds one table per ``CREATE VIRTUAL TABLE``."""

    def Create(
        self, connection: Any, modulename: str, dbname: str, tablename: str, *args: str
    ) -> tuple[str, VTTable]:
        name, token = (arg.strip().strip("'\"") for arg in args)
        state = lookup_state(token)
        hogql_table = state.hogql_tables.get(name)
        adapter: Adapter
        if hogql_table is not None and not hogql_table.partial:
            # HogQL tables are read through the Query API by keyset, never paged by REST.
            adapter = HogQLAdapter(hogql_table, state.driver, state=state)
        else:
            adapter = RESTAdapter(name, state)
        table = VTTable(adapter)
        return table.create_statement(tablename), table

    Connect = Create


class VTTable:
    """One virtual table: plans scans and applies writes through its adapter."""

    def __init__(self, adapter: Adapter) -> None:
        self.adapter = adapter
        self.column_names = list(adapter.get_columns())

    def create_statement(self, tablename: str) -> str:
        return declaration(tablename, self.adapter)

    def BestIndexObject(self, info: Any) -> bool:
        fields = self.adapter.get_columns()
        # Each pushed constraint names its column and the position of its value in Filter's
        # arguments (SQLite numbers them in its own constraint order, not ours).
        plan: dict[str, Any] = {"eq": [], "in": [], "range": [], "limit": None, "offset": None}
        argv = 0
        pushed: list[tuple[str, Operator]] = []
        all_column_constraints_used = True
        limit_slots: list[tuple[int, str]] = []
        for i in range(info.nConstraint):
            op = info.get_aConstraint_op(i)
            column = info.get_aConstraint_iColumn(i)
            if op in (_LIMIT, _OFFSET):
                if info.get_aConstraint_usable(i):
                    limit_slots.append((i, "limit" if op == _LIMIT else "offset"))
                continue
            usable = info.get_aConstraint_usable(i)
            name = self.column_names[column] if 0 <= column < len(self.column_names) else None
            field = fields.get(name) if name else None
            if usable and op == _EQ and name and field is not None and Equal in field.filters:
                argv += 1
                info.set_aConstraintUsage_argvIndex(i, argv)
                if getattr(self.adapter, "supports_in", False) and info.get_aConstraintUsage_in(i):
                    # ``col IN (...)``: all values reach Filter at once, one request for the
                    # lot instead of one per value. SQLite still checks the IN itself.
                    info.set_aConstraintUsage_in(i, True)
                    info.set_aConstraintUsage_omit(i, False)
                    plan["in"].append([name, argv - 1])
                else:
                    # The adapter re-checks every pushed equality itself, so SQLite may skip
                    # them when the API applies them exactly; narrowing ones SQLite checks again.
                    info.set_aConstraintUsage_omit(i, bool(field.exact))
                    plan["eq"].append([name, argv - 1])
                pushed.append((name, Operator.EQ))
            elif (
                usable
                and op in _RANGE_OPS
                and name
                and field is not None
                and (Range in field.filters)
            ):
                argv += 1
                info.set_aConstraintUsage_argvIndex(i, argv)
                # SQLite compares again: a range is a pre-filter, never the last word.
                info.set_aConstraintUsage_omit(i, False)
                plan["range"].append([name, _RANGE_OPS[op], argv - 1])
                pushed.append((name, Operator.GE))
            elif usable:
                all_column_constraints_used = False
        # LIMIT/OFFSET are exact only when every WHERE term is applied inside the scan and SQLite
        # need not sort afterwards (SQLite offers them even with an ORDER BY we do not consume).
        if all_column_constraints_used and info.nOrderBy == 0:
            for i, kind in limit_slots:
                argv += 1
                info.set_aConstraintUsage_argvIndex(i, argv)
                info.set_aConstraintUsage_omit(i, True)
                plan[kind] = argv - 1
        used = info.colUsed
        requested = {self.column_names[c] for c in used if c < len(self.column_names)}
        if _COL_USED_OVERFLOW in used:
            requested.update(self.column_names[_COL_USED_OVERFLOW:])
        plan["columns"] = sorted(requested)
        info.idxStr = json.dumps(plan)
        info.orderByConsumed = False
        cost, rows = self.adapter.estimate(pushed)
        info.estimatedCost = cost
        info.estimatedRows = rows
        return True

    def Open(self) -> VTCursor | RecordCursor:
        if isinstance(self.adapter, RESTAdapter):
            return RecordCursor(self, self.adapter)
        return VTCursor(self)

    def Disconnect(self) -> None:
        self.adapter.close()

    Destroy = Disconnect

    def UpdateInsertRow(self, rowid: int | None, fields: tuple[Any, ...]) -> int:
        row = dict(zip(self.column_names, fields))
        return self.adapter.insert_data(row)

    def UpdateDeleteRow(self, rowid: int) -> None:
        self.adapter.delete_data(rowid)

    def UpdateChangeRow(self, rowid: int, newrowid: int, fields: tuple[Any, ...]) -> None:
        row = dict(zip(self.column_names, fields))
        self.adapter.update_data(rowid, row, new_rowid=newrowid)


class VTCursor:
    """Streams the rows of one scan; a page is fetched only when SQLite asks for its rows."""

    def __init__(self, table: VTTable) -> None:
        self.table = table
        self._rows: Iterator[dict[str, Any]] = iter(())
        self._current: dict[str, Any] = {}
        self._names = table.column_names
        self._eof = True
        self._serial = 0

    def Filter(self, indexnum: int, indexname: str, constraintargs: tuple[Any, ...]) -> None:
        plan, bounds, limit, offset = _scan_arguments(indexname, constraintargs)
        if _probed(self.table.adapter, plan, bounds, limit, offset):
            self._eof = True
            return
        self._rows = self.table.adapter.get_data(
            bounds,
            [],
            limit=limit,
            offset=offset,
            requested_columns=set(plan["columns"]),
        )
        self.Next()

    def Eof(self) -> bool:
        return self._eof

    def Rowid(self) -> int:
        rowid = self._current.get("rowid")
        if rowid is None:  # read-only tables (events) have no stable key to write back by
            self._serial += 1
            return self._serial
        return int(rowid)

    def Column(self, number: int) -> Any:
        # Called once per cell: the plain storage types, most cells, go back without a call.
        if number == -1:
            return self.Rowid()
        value = self._current.get(self._names[number])
        if value is None or value.__class__ in _STORAGE_TYPES:
            return value
        return _sqlite_value(value)

    def Next(self) -> None:
        try:
            self._current = next(self._rows)
            self._eof = False
        except StopIteration:
            self._eof = True

    def Close(self) -> None:
        self._rows = iter(())


class RecordCursor:
    """A scan of a REST table: API records in, SQLite storage values out, converting only the
    columns the statement uses, once per row, and the rowid only when SQLite asks for it."""

    def __init__(self, table: VTTable, adapter: RESTAdapter) -> None:
        self.table = table
        self.adapter = adapter
        self._rows: Iterator[Sequence[Any]] = iter(())
        self._current: Sequence[Any] = ()
        self._eof = True

    def Filter(self, indexnum: int, indexname: str, constraintargs: tuple[Any, ...]) -> None:
        plan, bounds, limit, offset = _scan_arguments(indexname, constraintargs)
        adapter = self.adapter
        if _probed(adapter, plan, bounds, limit, offset):
            self._eof = True
            return
        build = storage_row_builder(adapter.column_names, adapter.kinds, set(plan["columns"]))
        # A row is built as SQLite steps to it (``map`` is lazy): no page is fetched early.
        self._rows = map(build, adapter.scan_records(bounds, limit=limit, offset=offset))
        self.Next()

    def Eof(self) -> bool:
        return self._eof

    def Rowid(self) -> int:
        return self.adapter.rowid_of(self._current[-1])

    def Column(self, number: int) -> Any:
        if number < 0:
            return self.Rowid()
        return self._current[number]

    def Next(self) -> None:
        row = next(self._rows, None)
        if row is None:
            self._eof = True
            return
        self._current = row
        self._eof = False

    def Close(self) -> None:
        self._rows = iter(())

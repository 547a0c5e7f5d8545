"""One REST scan's rows copied into a native SQLite table, a page at a time, by C-level loops.

Through the virtual table SQLite calls back into Python once per row (``Next``) and once per cell
it reads (``Column``): the floor of that path (``benchmarks/RESULTS.md``, benchmark 5). For a
statement that reads its table once and only answers after reading all of it (an aggregate, a
GROUP BY, an ORDER BY: ``Statement.whole_scan``), the cursor asks SQLite how it would scan the
virtual table (``ProbedScan``: the columns it reads, the filters and window it pushes), then
this module reads exactly that scan through the table's adapter (same requests, same filters)
and copies the rows into a native table declared like the virtual one, one ``executemany`` per
page, converting a column at a time (``rows.storage_column_converter``). SQLite then runs the
statement on the native table (`posthog_dbapi.dbapi.native`).

A native table applies its columns' affinity to what it stores (a REAL column turns ``1`` into
``1.0``, a NUMERIC one turns the text ``'12'`` into 12); the virtual table hands values over
untouched. A page holding a value that affinity would change raises ``NotLoadable``, so the
statement runs on the virtual table instead (it replays the records already fetched from the
statement's page cache: no request is sent twice).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice, repeat
from operator import contains
from typing import Any

import apsw
from shillelagh.filters import Filter

from posthog_dbapi.adapters.rest import RESTAdapter
from posthog_dbapi.adapters.rows import storage_column_converter
from posthog_dbapi.driver.collector import collector_paused
from posthog_dbapi.names import quote_identifier

__all__ = ["NotLoadable", "ProbedScan", "declaration", "load"]

# Records read and stored at a time: one page of the largest REST lists.
PAGE_ROWS = 1000

_NONE = type(None)


@dataclass(frozen=True)
class ProbedScan:
    """How SQLite would scan a virtual table for a statement (what its ``Filter`` was given)."""

    adapter: Any
    """The table's adapter (a ``RESTAdapter`` for a REST table)."""
    columns: frozenset[str]
    """The columns the statement reads."""
    bounds: dict[str, Filter]
    limit: int | None
    offset: int | None


class NotLoadable(Exception):
    """The scan's rows cannot be stored natively exactly as the virtual table hands them."""


def declaration(tablename: str, adapter: Any) -> str:
    """The ``CREATE TABLE`` of ``adapter``'s columns, declared as the virtual table declares
    them (so both have the same column affinities)."""
    columns = ", ".join(
        f"{quote_identifier(name)} {field.type}" for name, field in adapter.get_columns().items()
    )
    return f"CREATE TABLE {quote_identifier(tablename)} ({columns})"


# Text SQLite's NUMERIC, INTEGER and REAL affinities would store as a number (a well-formed
# integer or real literal, spaces around it allowed); a little wider than SQLite's own rule
# (``_`` separators, any space or digit), since a false alarm only costs the faster path.
_NUMERIC_TEXT = re.compile(r"\s*[+-]?(?:[\d_]+\.?[\d_]*|\.[\d_]+)(?:[eE][+-]?[\d_]+)?\s*").fullmatch


def _affinity(declared: str) -> str:
    """SQLite's column affinity of a declared type (section 3.1 of its datatype document)."""
    upper = declared.upper()
    if "INT" in upper:
        return "INTEGER"
    if "CHAR" in upper or "CLOB" in upper or "TEXT" in upper:
        return "TEXT"
    if "BLOB" in upper or not upper:
        return "BLOB"
    if "REAL" in upper or "FLOA" in upper or "DOUB" in upper:
        return "REAL"
    return "NUMERIC"


# The classes of value each affinity stores unchanged (text is checked apart).
_KEPT: dict[str, frozenset[type]] = {
    "TEXT": frozenset({str, bytes, _NONE}),
    "INTEGER": frozenset({int, bool, str, bytes, _NONE}),
    "NUMERIC": frozenset({int, bool, str, bytes, _NONE}),
    "REAL": frozenset({float, str, bytes, _NONE}),
}


def _check_kept(column: Sequence[Any], affinity: str) -> None:
    """Raise ``NotLoadable`` unless the native column stores every value of ``column`` as it
    is (C-level checks; the text check only where a cell lacks a ``:``, which every stored
    timestamp has and no number does)."""
    kept = _KEPT.get(affinity)
    if kept is None:
        return  # BLOB: stored as given
    classes = set(map(type, column))
    if not classes <= kept:
        raise NotLoadable(f"{sorted(c.__name__ for c in classes - kept)} in a {affinity} column")
    if affinity == "TEXT" or str not in classes:
        return
    texts = [v for v in column if v.__class__ is str] if len(classes) > 1 else column
    if all(map(contains, texts, repeat(":"))):
        return
    if any(map(_NUMERIC_TEXT, texts)):
        raise NotLoadable(f"numeric text in a {affinity} column")


def _records(scan: ProbedScan) -> Callable[[int], list[dict[str, Any]]]:
    """``take(n)``: the scan's next ``n`` records (fewer at the end), fetched as the virtual
    table would fetch them."""
    adapter: RESTAdapter = scan.adapter
    if not scan.bounds:
        return adapter.list_taker(limit=scan.limit, offset=scan.offset or 0)
    records: Iterator[dict[str, Any]] = adapter.scan_records(
        scan.bounds, limit=scan.limit, offset=scan.offset
    )
    return lambda count: list(islice(records, count))


def load(db: apsw.Connection, tablename: str, scan: ProbedScan) -> int:
    """Copy the rows of ``scan`` into the empty table ``tablename`` of ``db`` (declared by
    ``declaration``), only the columns the statement reads; returns the number of rows.
    Raises ``NotLoadable`` (before or after storing some rows) when a value would not be
    stored as the virtual table hands it."""
    adapter: RESTAdapter = scan.adapter
    fields = adapter.get_columns()
    columns = [
        (name, storage_column_converter(kind), _affinity(fields[name].type))
        for name, kind in zip(adapter.column_names, adapter.kinds)
        if name in scan.columns
    ]
    if not columns:  # count(*) and the like read no column: a row of NULLs per record
        columns = [(adapter.column_names[0], _nulls, "BLOB")]
    width = len(columns)
    insert = _Insert(tablename, [name for name, _, _ in columns])
    take = _records(scan)
    count = 0
    # One transaction for the whole copy; the page's columns hold no reference cycles: no
    # collection while they are built (``collector.py``).
    with db, collector_paused():
        while True:
            records = take(PAGE_ROWS)
            size = len(records)
            if not size:
                break
            # The page's values, row after row, filled a column at a time (C-level slices).
            values: list[Any] = [None] * (size * width)
            for i, (name, convert, affinity) in enumerate(columns):
                column = convert(list(map(dict.get, records, repeat(name))))
                _check_kept(column, affinity)
                values[i::width] = column
            insert.run(db, values, size)
            count += size
            if size < PAGE_ROWS:
                break
    return count


def _nulls(column: Sequence[Any]) -> Sequence[Any]:
    return [None] * len(column)


class _Insert:
    """Multi-row INSERTs of a table's columns: SQLite steps once for many rows (four times
    faster than ``executemany``'s step per row, measured on 100,000 rows of 2 columns)."""

    def __init__(self, tablename: str, names: list[str]) -> None:
        self._head = (
            f"INSERT INTO {quote_identifier(tablename)} "
            f"({', '.join(quote_identifier(name) for name in names)}) VALUES "
        )
        self._row = "(" + ", ".join("?" for _ in names) + ")"
        self._width = len(names)
        # Rows a statement: about 1,000 values, far below SQLite's limit on parameters.
        self._rows = max(1, min(100, 1000 // self._width))
        self._texts: dict[int, str] = {}

    def _text(self, rows: int) -> str:
        text = self._texts.get(rows)
        if text is None:
            text = self._texts[rows] = self._head + ", ".join([self._row] * rows)
        return text

    def run(self, db: apsw.Connection, values: list[Any], rows: int) -> None:
        """Insert ``rows`` rows whose values are ``values``, row after row."""
        step, width = self._rows, self._width
        for start in range(0, rows, step):
            count = min(step, rows - start)
            db.execute(self._text(count), values[start * width : (start + count) * width])

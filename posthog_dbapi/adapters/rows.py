"""API records as rows, with the conversion of each column chosen once, not once per cell.

Two forms of a row, built from the same per-kind conversions (``values.py``), so both routes give
the same values:

- the SQLite storage row a virtual table hands SQLite (``storage_row_builder``): only the columns
  the statement uses are converted, the others stay NULL;
- the Python row a statement answered without SQLite returns (``python_rows``): what the cursor
  would have made of the storage value (timestamps as aware UTC ``datetime``, booleans as
  ``bool``), converted a column at a time over a batch of records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from posthog_dbapi.adapters.values import from_storage, storage_converter, stored_timestamp
from posthog_dbapi.catalog.spec import type_code_for

__all__ = [
    "ColumnReader",
    "column_reader",
    "json_text_memo",
    "python_converter",
    "python_rows",
    "storage_row_builder",
]

Record = dict[str, Any]
_UTC = dt.timezone.utc

# The class of value each kind's conversion returns unchanged, for SQLite and for the cursor: the
# common cell is passed through without a call.
_PASS_THROUGH: dict[str, type] = {
    "string": str,
    "uuid": str,
    "integer": int,
    "boolean": bool,
    "number": float,
}


def _storage_cell(kind: str) -> tuple[type | None, Callable[[Any], Any]]:
    """(the class of API value a column of ``kind`` stores as it is, the conversion of any
    other value): the common cell goes to SQLite without a call."""
    convert = storage_converter(kind)
    if kind == "datetime":

        def timestamp(value: Any) -> Any:
            if value.__class__ is str:  # the usual cell: one call, not three
                try:
                    return stored_timestamp(value)
                except ValueError:
                    return value  # kept, as ``storage_converter`` keeps it
            return convert(value)

        return None, timestamp
    if kind == "json":
        return None, json_text_memo()
    return _PASS_THROUGH.get(kind), convert


def storage_row_builder(
    names: Sequence[str], kinds: Sequence[str], requested: set[str]
) -> Callable[[Record], Sequence[Any]]:
    """A function from one API record to its row of SQLite storage values, by column position;
    columns not in ``requested`` are NULL (SQLite does not read them)."""
    width = len(names)
    picks = [
        (i, name, *_storage_cell(kind))
        for i, (name, kind) in enumerate(zip(names, kinds))
        if name in requested
    ]

    def build(record: Record) -> Sequence[Any]:
        get = record.get
        row: list[Any] = [None] * width
        for i, name, same, convert in picks:
            value = get(name)
            if value is not None:
                row[i] = value if value.__class__ is same else convert(value)
        return row

    return build


def python_converter(kind: str) -> Callable[[Any], Any]:
    """A function from one API value of a column of ``kind`` to the Python value the cursor
    returns for it: the storage conversion, then the cursor's (``from_storage``)."""
    stored = storage_converter(kind)
    back = from_storage(type_code_for(kind))
    if back is None:
        return stored
    slow = back

    def read(value: Any) -> Any:
        value = stored(value)
        return None if value is None else slow(value)

    if kind != "datetime":
        return read
    parse = dt.datetime.fromisoformat

    def read_datetime(value: Any) -> Any:
        # The usual API timestamp (``...Z`` or ``...+00:00``) parses straight to the datetime
        # the storage text would parse to; anything else takes the two steps.
        if value.__class__ is str:
            try:
                parsed = parse(value)
            except ValueError:
                return read(value)
            if parsed.tzinfo is _UTC:
                return parsed
        return read(value)

    return read_datetime


ColumnReader = Callable[[list[Record], str], list[Any]]
"""``reader(records, name)``: the Python values of column ``name`` of each record."""


def column_reader(kind: str) -> ColumnReader:
    """The reader of a column of ``kind`` (chosen once per column of a statement)."""
    convert = json_text_memo() if kind == "json" else python_converter(kind)
    same = _PASS_THROUGH.get(kind)
    if same is None:

        def column(records: list[Record], name: str) -> list[Any]:
            return [None if (v := r.get(name)) is None else convert(v) for r in records]

        return column

    def typed(records: list[Record], name: str) -> list[Any]:
        return [
            v if (v := r.get(name)).__class__ is same or v is None else convert(v) for r in records
        ]

    return typed


# Distinct objects a JSON column's memo keeps before it starts over.
_MEMO_SIZE = 512


def json_text_memo() -> Callable[[Any], Any]:
    """The JSON column conversion (``dumps_json``), remembering the text of flat objects.

    API records repeat nested objects (``created_by`` is the same user on most rows of a list),
    and encoding one costs several times more than recognising it again. An object is
    recognised by its keys, values and their types in order (so ``1``, ``1.0`` and ``true``
    stay apart); one with nested objects or arrays is simply encoded.
    """
    stored = storage_converter("json")
    memo: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        if value.__class__ is not dict:
            if not value and value.__class__ is list:
                return "[]"
            return stored(value)
        try:
            key = (tuple(value.items()), tuple(map(type, value.values())))
            text = memo.get(key)
        except TypeError:  # a nested object or array: not hashable
            return stored(value)
        if text is None:
            if len(memo) >= _MEMO_SIZE:
                memo.clear()
            text = memo[key] = stored(value)
        return text

    return convert


def python_rows(
    records: list[Record], columns: Sequence[tuple[str, ColumnReader]]
) -> list[tuple[Any, ...]]:
    """``records`` as rows of Python values of ``columns`` (``(name, column_reader(kind))``
    pairs, in order), converted a column at a time."""
    if not records:
        return []
    converted = [read(records, name) for name, read in columns]
    return list(zip(*converted))

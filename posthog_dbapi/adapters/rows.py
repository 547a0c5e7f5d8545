"""API records as rows, with the conversion of each column chosen once, not once per cell.

Two forms of a row, built from the same per-kind conversions (``values.py``), so both routes give
the same values:

- the SQLite storage row a virtual table hands SQLite (``storage_row_builder``): only the columns
  the statement uses are converted, the others stay NULL; the same storage values a column at a
  time (``storage_column_converter``) for a native copy of a scan (``bulk.py``);
- the Python row a statement answered without SQLite returns (``python_rows``): what the cursor
  would have made of the storage value (timestamps as aware UTC ``datetime``, booleans as
  ``bool``), converted a column at a time over a batch of records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any

from posthog_dbapi.adapters.values import (
    dumps_json,
    from_storage,
    storage_converter,
    stored_timestamp,
    zulu_stored_form,
)
from posthog_dbapi.catalog.spec import type_code_for

__all__ = [
    "ColumnConverter",
    "column_converter",
    "json_text_memo",
    "python_converter",
    "python_rows",
    "storage_column_converter",
    "storage_row_builder",
]

Record = dict[str, Any]
_NONE = type(None)
ColumnConverter = Callable[[Sequence[Any]], Sequence[Any]]
"""``convert(values)``: a column's API values (one per record) as other values (the cursor's
Python values, or SQLite's storage values), in the same order."""
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
                if zulu_stored_form(value) is not None:  # stored_timestamp's own first case
                    return value[:-1] + "+00:00"
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
    columns not in ``requested`` are NULL (SQLite does not read them). One more slot, the last,
    holds the record itself."""
    width = len(names)
    picks = [
        (i, name, *_storage_cell(kind))
        for i, (name, kind) in enumerate(zip(names, kinds))
        if name in requested
    ]

    def build(record: Record) -> Sequence[Any]:
        get = record.get
        row: list[Any] = [None] * width
        row.append(record)  # the last slot: the record itself, for the rowid
        for i, name, same, convert in picks:
            value = get(name)
            if value is not None:
                row[i] = value if value.__class__ is same else convert(value)
        return row

    return build


# Every digit as 0: an API timestamp of the commonest form then reads as one of these templates.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_ZULU_TEMPLATES = frozenset({b"0000-00-00T00:00:00Z", b"0000-00-00T00:00:00.000000Z"})


def _zulu_stored(column: Sequence[str]) -> list[str] | None:
    """The stored text of a column of API timestamps when every one is in the form
    ``zulu_stored_form`` accepts (ASCII digits; a fraction, if any, not ``.000000``): each with
    ``+00:00`` for its ``Z``, as ``stored_timestamp`` gives it. Checked and rewritten over the
    whole column joined into one text, by C-level passes (a regex per cell costs several times
    more); ``None`` when a cell is in another form."""
    joined = "\n".join(column)
    try:
        raw = joined.encode("ascii")
    except UnicodeEncodeError:
        return None
    if b".000000Z" in raw or not set(raw.translate(_DIGITS_AS_ZERO).split(b"\n")) <= (
        _ZULU_TEMPLATES
    ):
        return None
    # The templates hold no line break and one ``Z``, the last character of each cell.
    return joined.replace("Z", "+00:00").split("\n")


def storage_column_converter(kind: str) -> ColumnConverter:
    """The conversion of a column of ``kind``'s API values (one per record) into the storage
    values ``storage_row_builder`` gives SQLite for them, by C-level loops where it can: a
    column already of the class its kind stores comes back untouched, a column of API
    timestamps in the commonest form (``...Z``) is rewritten by one ``map``; any other column
    falls back to a call per cell. The values are the same either way."""
    same, convert = _storage_cell(kind)
    unchanged = frozenset({same, _NONE})
    timestamps = kind == "datetime"

    def converted(column: Sequence[Any]) -> Sequence[Any]:
        classes = set(map(type, column))
        if classes <= unchanged:
            return column
        if timestamps and classes == {str}:
            done = _zulu_stored(column)
            if done is not None:
                return done
        return [v if v is None or v.__class__ is same else convert(v) for v in column]

    return converted


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


_tzinfo = attrgetter("tzinfo")
# JSON scalars whose equal values (``1``, ``true``) encode differently. Floats are left out of
# the bulk path altogether: ``0.0 == -0.0`` too.
_NUMBERS = frozenset({bool, int})
_SCALARS = _NUMBERS | {str, _NONE}


def _cells(records: list[Record], name: str) -> list[Any]:
    """Column ``name`` of ``records`` (``None`` where a record lacks it), by one C-level loop."""
    return list(map(dict.get, records, repeat(name)))


def _utc_datetimes(column: Sequence[Any], classes: set[type]) -> list[Any] | None:
    """A column of API timestamps parsed by one C-level loop, when every one is text that
    ``fromisoformat`` reads as UTC (what ``python_converter`` makes of each); else ``None``."""
    if classes != {str}:
        return None
    try:
        parsed = list(map(dt.datetime.fromisoformat, column))
    except ValueError:
        return None
    # By identity, as ``python_converter`` checks: another zero-offset zone takes the long way.
    if set(map(id, map(_tzinfo, parsed))) != {id(_UTC)}:
        return None
    return parsed


def _repeated_json(column: Sequence[Any], classes: set[type]) -> list[Any] | None:
    """The JSON text of a column whose cells are all empty lists, or all one flat object (the
    same keys in the same order, the same values of the same types: ``created_by`` on a page
    of one user's records), encoded once; else ``None``. Every check is a C-level loop."""
    count = len(column)
    if classes == {list}:
        return ["[]"] * count if column.count([]) == count else None
    if classes != {dict}:
        return None
    first = column[0]
    # Dict equality ignores key order and nested types, and counts 1 == 1.0 == True; each of
    # these changes the text, so each is checked apart.
    if not all(v.__class__ in _SCALARS for v in first.values()):
        return None
    if column.count(first) != count or list(map(tuple, column)).count(tuple(first)) != count:
        return None
    for key, value in first.items():
        if value.__class__ in _NUMBERS and set(map(type, map(itemgetter(key), column))) != {
            value.__class__
        }:
            return None
    return [dumps_json(first)] * count


_BULK: dict[str, Callable[[Sequence[Any], set[type]], list[Any] | None]] = {
    "datetime": _utc_datetimes,
    "json": _repeated_json,
}


def column_converter(kind: str) -> ColumnConverter:
    """The conversion of a column of ``kind`` (chosen once per column of a statement), by
    C-level loops (``map``) where it can: a column whose cells are all of the class the kind
    returns as it is comes back untouched; timestamps and repeated JSON objects are converted in
    bulk; any other column falls back to a call per cell. The values are the same either way."""
    convert = json_text_memo() if kind == "json" else python_converter(kind)
    same = _PASS_THROUGH.get(kind)
    unchanged = frozenset({same, _NONE})
    bulk = _BULK.get(kind)

    def converted(column: Sequence[Any]) -> Sequence[Any]:
        classes = set(map(type, column))
        if classes <= unchanged:
            return column
        if bulk is not None:
            done = bulk(column, classes)
            if done is not None:
                return done
        if same is None:
            return [None if v is None else convert(v) for v in column]
        return [v if v.__class__ is same or v is None else convert(v) for v in column]

    return converted


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
            classes = tuple(map(type, value.values()))
            if float in classes:  # 0.0 and -0.0 are equal keys but different text
                return stored(value)
            key = (tuple(value.items()), classes)
            text = memo.get(key)
        except TypeError:  # a nested object or array: not hashable
            return stored(value)
        if text is None:
            if len(memo) >= _MEMO_SIZE:
                memo.clear()
            text = memo[key] = stored(value)
        return text

    return convert


# Records converted together. Small enough that a chunk's records stay in the CPU cache while
# each of its columns is read (benchmark 5: 10,000 records at once ran at half the speed).
_CHUNK = 256


def python_rows(
    records: list[Record], columns: Sequence[tuple[str, ColumnConverter]]
) -> list[tuple[Any, ...]]:
    """``records`` as rows of Python values of ``columns`` (``(name, column_converter(kind))``
    pairs, in order), converted a column at a time, a chunk of records at a time."""
    if not columns:
        return [() for _ in records]
    names = [name for name, _ in columns]
    converters = [convert for _, convert in columns]
    pick = itemgetter(*names) if len(names) > 1 else None
    out: list[tuple[Any, ...]] = []
    for start in range(0, len(records), _CHUNK):
        chunk = records[start : start + _CHUNK]
        cells: Sequence[Sequence[Any]]
        try:
            # One C-level pass over the records (each read once while in cache), then transposed.
            cells = list(zip(*map(pick, chunk))) if pick is not None else []
        except (KeyError, TypeError):
            cells = []
        if len(cells) != len(names):  # a record lacks a column (or a single column): by name
            cells = [_cells(chunk, name) for name in names]
        out += zip(*[convert(column) for convert, column in zip(converters, cells)])
    return out

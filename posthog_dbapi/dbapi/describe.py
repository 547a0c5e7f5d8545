"""``cursor.description`` of a statement SQLite ran, and the conversion of each column it names.

SQLite reports each result column's declared type and, for a plain column, its table and column;
the catalog's kind of that column gives the PEP 249 type code (``type_code_for``), otherwise the
declared type does. Each column's conversion from SQLite's storage value to the Python value the
cursor returns (``from_storage``) is chosen here once per statement; on a connection with
``timezone="project"`` timestamps are shown in the project's zone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from posthog_dbapi.adapters.values import from_storage
from posthog_dbapi.catalog.spec import ColumnType, type_code_for
from posthog_dbapi.dbapi.hogql_route import zone_of
from posthog_dbapi.types import timestamp_converter

if TYPE_CHECKING:
    from posthog_dbapi.dbapi.connection import Connection

__all__ = ["ColumnDescription", "code_of_value", "describe"]

ColumnDescription = tuple[str, Any, None, None, None, None, bool]

# The column model's SQLite declared types; the first kind to declare one names it (TEXT is a
# string, not a uuid). BLOB is no column kind: only a value SQLite computes can be one.
_DECLTYPE_CODES: dict[str, str] = {"BLOB": "binary"}
for _kind in ColumnType:
    _DECLTYPE_CODES.setdefault(_kind.types.sqlite, _kind.code)


def code_of_value(value: Any) -> str | None:
    """The type code of an expression column (which has no declared type), from a value."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bytes):
        return "binary"
    return None


def describe(
    connection: Connection, described: Sequence[tuple[Any, ...]]
) -> tuple[list[ColumnDescription], list[Callable[[Any], Any] | None]]:
    """(``description``, the conversion of each column or None) of SQLite's ``described``
    result columns (``apsw.Cursor.description_full``)."""
    description: list[ColumnDescription] = []
    converters: list[Callable[[Any], Any] | None] = []
    zone = zone_of(connection)
    for name, decltype, _db, table, origin in described:
        code = connection._column_kind(table, origin)
        if code is not None:
            code = type_code_for(code)
        elif decltype:
            code = _DECLTYPE_CODES.get(decltype.upper(), "string")
        description.append((name, code, None, None, None, None, True))
        converters.append(
            timestamp_converter(zone)
            if zone is not None and code == "datetime"
            else from_storage(code)
        )
    return description, converters

"""The HogQL tables a SELECT can be pushed down to: their columns, value kinds and keyset keys.

A column's *kind* is what the translator reasons with, and it fixes how a value looks in the
SQLite fallback (the representation contract both routes share):

- ``str``: text; ``int``: integer (booleans are 1/0); ``float``: real;
- ``uuid``: the UUID as lowercase text;
- ``dt``: a timestamp, stored on the SQLite side as ``datetime.isoformat()`` of an aware UTC
  datetime (``2024-01-05T10:00:00.123456+00:00``; microseconds left out when zero);
- ``json``: JSON text (``properties``), as the Query API returns it.

``keys`` order a table for keyset paging; the last key is unique, so ``(keys)`` is a total order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["HOGQL_TABLES", "HogQLTable"]


@dataclass(frozen=True)
class HogQLTable:
    name: str
    columns: tuple[tuple[str, str], ...]
    """(column name, kind) in the order ``SELECT *`` shows them."""
    keys: tuple[str, ...]

    def kind(self, column: str) -> str | None:
        for name, kind in self.columns:
            if name == column:
                return kind
        return None

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]


HOGQL_TABLES: Mapping[str, HogQLTable] = {
    "events": HogQLTable(
        "events",
        (
            ("uuid", "uuid"),
            ("event", "str"),
            ("distinct_id", "str"),
            ("properties", "json"),
            ("timestamp", "dt"),
            ("person_id", "uuid"),
            ("elements_chain", "str"),
            ("created_at", "dt"),
            ("$session_id", "str"),
        ),
        keys=("timestamp", "uuid"),
    ),
    # UNVERIFIED: PostHog's HogQL `persons` has more columns (e.g. `pdi`, `$virt_*`); these are
    # the ones the emulator serves and the REST list shares.
    "persons": HogQLTable(
        "persons",
        (
            ("id", "uuid"),
            ("created_at", "dt"),
            ("properties", "json"),
            ("is_identified", "int"),
        ),
        keys=("id",),
    ),
    "person_distinct_ids": HogQLTable(
        "person_distinct_ids",
        (("distinct_id", "str"), ("person_id", "uuid")),
        keys=("distinct_id",),
    ),
    # UNVERIFIED: PostHog's `sessions` has many more columns; these are the emulator's.
    "sessions": HogQLTable(
        "sessions",
        (
            ("session_id", "str"),
            ("distinct_id", "str"),
            ("$start_timestamp", "dt"),
            ("$end_timestamp", "dt"),
            ("$session_duration", "int"),
            ("$entry_current_url", "str"),
            ("$entry_pathname", "str"),
            ("$end_current_url", "str"),
            ("$end_pathname", "str"),
            ("$pageview_count", "int"),
            ("$autocapture_count", "int"),
            ("$event_count", "int"),
            ("$is_bounce", "int"),
        ),
        keys=("session_id",),
    ),
}

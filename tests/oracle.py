"""The pushdown tests' oracle: SQLite copies of HogQL tables that share no code with the routes.

The copies are filled straight from the emulator's storage (`EventStore.raw_rows`), not through
the Query API, the HogQL adapter, the keyset pager or the HogQL engine's query rewriting, so a
bug in any of those cannot show on both sides of a differential comparison. Values take the
form the SQLite route stores (the representation contract of the HogQL tables): uuids as
lowercase text, timestamps as ``isoformat()`` of an aware UTC datetime (on a
``timezone="project"`` connection to a zoned project, its wall-clock text without an offset;
microseconds left out when zero), JSON as the stored text, booleans as 1/0.

The column lists are declared here, from PostHog's tables as the emulator stores them, not
imported from the client's table declarations.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from posthog_emulator.eventstore import EventStore

__all__ = [
    "COLUMNS",
    "engine_count",
    "fill",
    "middle_timestamp",
    "oracle_db",
    "stored_count",
    "stored_events",
]

_EVENT_COLUMNS = (
    ("uuid", "uuid"),
    ("event", "str"),
    ("distinct_id", "str"),
    ("properties", "json"),
    ("timestamp", "dt"),
    ("person_id", "uuid"),
    ("elements_chain", "str"),
    ("created_at", "dt"),
    ("$session_id", "str"),
    ("$window_id", "str"),
    *((f"$group_{i}", "str") for i in range(5)),
)
_SESSION_COLUMNS = (
    ("session_id", "str"),
    ("distinct_id", "str"),
    ("$start_timestamp", "dt"),
    ("$end_timestamp", "dt"),
    ("$session_duration", "int"),
    ("$channel_type", "str"),
    *(
        (f"${name}", "str")
        for name in (
            "entry_current_url", "entry_pathname", "entry_hostname", "end_current_url",
            "end_pathname", "exit_current_url", "exit_pathname",
        )
    ),
    ("$num_uniq_urls", "int"),
    *(
        (f"$entry_{name}", "str")
        for name in (
            "referring_domain", "utm_source", "utm_campaign", "utm_medium", "utm_term",
            "utm_content", "gclid", "fbclid",
        )
    ),
    ("$pageview_count", "int"),
    ("$autocapture_count", "int"),
    ("$screen_count", "int"),
    ("$is_bounce", "int"),
)  # fmt: skip
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "events": _EVENT_COLUMNS,
    "persons": (
        ("id", "uuid"),
        ("created_at", "dt"),
        ("properties", "json"),
        ("is_identified", "int"),
    ),
    "person_distinct_ids": (("distinct_id", "str"), ("person_id", "uuid")),
    "sessions": _SESSION_COLUMNS,
}
"""(column, kind) of each table the oracle copies, in ``SELECT *`` order."""


def _value(raw: Any, kind: str, zone: dt.tzinfo | None) -> Any:
    if raw is None:
        return None
    if kind == "dt":
        moment = dt.datetime.fromisoformat(str(raw)).replace(tzinfo=dt.timezone.utc)
        if zone is None:
            return moment.isoformat()
        # The project's calendar: its wall-clock time, without an offset.
        return moment.astimezone(zone).replace(tzinfo=None).isoformat()
    if kind == "uuid":
        return str(uuid.UUID(str(raw)))
    if kind == "int":
        return int(raw)
    return raw


def _rows(store: EventStore, table: str, zone: dt.tzinfo | None) -> Iterator[tuple[Any, ...]]:
    columns = COLUMNS[table]
    for row in store.raw_rows(table):
        yield tuple(_value(row[name], kind, zone) for name, kind in columns)


def fill(db: sqlite3.Connection, store: EventStore, table: str, zone: str = "UTC") -> int:
    """Create ``table`` in ``db`` and copy every stored row into it; returns the row count.

    ``zone`` "UTC" stores aware UTC timestamps; any other zone its wall-clock text, as a
    ``timezone="project"`` connection to a project in that zone does."""
    tz = None if zone == "UTC" else ZoneInfo(zone)
    names = [name for name, _ in COLUMNS[table]]
    quoted = ", ".join(f'"{name}"' for name in names)
    db.execute(f'CREATE TABLE "{table}" ({quoted})')
    marks = ", ".join("?" for _ in names)
    db.executemany(f'INSERT INTO "{table}" VALUES ({marks})', _rows(store, table, tz))
    (count,) = db.execute(f'SELECT count(*) FROM "{table}"').fetchone()
    return int(count)


def stored_count(store: EventStore, table: str) -> int:
    """The store's own row count of ``table`` (counted by the engine, not by the copy)."""
    if table == "events":
        return store.event_count()
    if table == "persons":
        return store.person_count()
    return sum(1 for _ in store.raw_rows(table))


def engine_count(store: EventStore, hogql: str) -> int:
    """The emulator's own answer to a ``SELECT count() ...`` in HogQL, run on its engine without
    the Query API. It shares the HogQL engine with the pushdown route, so it is an oracle for the
    local (``pushdown="off"``) route only."""
    return int(store.run_hogql(hogql, None, system_tables={})["results"][0][0])


def oracle_db(
    store: EventStore, tables: tuple[str, ...] = tuple(COLUMNS), zone: str = "UTC"
) -> sqlite3.Connection:
    """An in-memory SQLite database holding ``tables`` copied from ``store``; each copy's row
    count is checked against the store's."""
    db = sqlite3.connect(":memory:", check_same_thread=False)
    for table in tables:
        copied = fill(db, store, table, zone)
        assert copied == stored_count(store, table), (table, copied)
    return db


def stored_events(store: EventStore) -> list[dict[str, Any]]:
    """Every stored event as a dict, ``timestamp`` as an aware UTC datetime, oldest first."""
    rows = list(store.raw_rows("events"))
    for row in rows:
        row["timestamp"] = dt.datetime.fromisoformat(row["timestamp"]).replace(
            tzinfo=dt.timezone.utc
        )
    rows.sort(key=lambda row: (row["timestamp"], row["uuid"]))
    return rows


def middle_timestamp(events: list[dict[str, Any]]) -> dt.datetime:
    """A bound inside the data: the timestamp of the middle event, so that a range from it
    keeps some rows and drops others (a bound before all the data cannot tell a range applied
    from one ignored)."""
    return events[len(events) // 2]["timestamp"]

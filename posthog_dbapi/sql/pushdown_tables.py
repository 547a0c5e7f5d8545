"""The HogQL tables a SELECT can be pushed down to: their columns, value kinds and keyset keys.

A column's *kind* is what the translator reasons with, and it fixes how a value looks in the
SQLite fallback (the representation contract both routes share):

- ``str``: text; ``int``: integer (booleans are 1/0); ``float``: real;
- ``uuid``: the UUID as lowercase text;
- ``dt``: a timestamp, stored on the SQLite side as ``datetime.isoformat()`` of an aware UTC
  datetime (``2024-01-05T10:00:00.123456+00:00``; microseconds left out when zero);
- ``json``: JSON text (``properties``), as the Query API returns it.

``keys`` order a table for keyset paging; the last key is unique, so ``(keys)`` is a total order.

`HOGQL_TABLES` are HogQL's tables as the Query API serves them. `REST_SHARED_TABLES` are
connection tables whose rows come from a REST resource (``persons``: writable, with columns HogQL
lacks) but whose SELECTs may run as HogQL when they use only the columns both routes share; such
a table is ``partial`` (``SELECT *`` stays on the REST route) and re-encodes its JSON columns as
the REST route does (``normalise_json``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["HOGQL_TABLES", "REST_SHARED_TABLES", "HogQLTable"]


@dataclass(frozen=True)
class HogQLTable:
    name: str
    columns: tuple[tuple[str, str], ...]
    """(column name, kind) in the order ``SELECT *`` shows them."""
    keys: tuple[str, ...]
    partial: bool = False
    """The connection's table of this name has columns this one lacks, so ``*`` is not pushed."""
    normalise_json: bool = False
    """JSON columns come out as ``json.dumps`` text of the decoded value (the REST route's form)
    instead of PostHog's raw text."""

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
            ("$window_id", "str"),
            *((f"$group_{i}", "str") for i in range(5)),
        ),
        keys=("timestamp", "uuid"),
    ),
    # A subset of PostHog's `persons` (11 fields): the ones the REST list shares.
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
    # A subset of PostHog's `sessions` (v2, 49 fields; reference/posthog-source facts): what
    # users ask for. `$urls` (an array) is not offered: SQLite has no array type to share.
    "sessions": HogQLTable(
        "sessions",
        (
            ("session_id", "str"),
            ("distinct_id", "str"),
            ("$start_timestamp", "dt"),
            ("$end_timestamp", "dt"),
            ("$session_duration", "int"),
            ("$channel_type", "str"),
            ("$entry_current_url", "str"),
            ("$entry_pathname", "str"),
            ("$entry_hostname", "str"),
            ("$end_current_url", "str"),
            ("$end_pathname", "str"),
            ("$exit_current_url", "str"),
            ("$exit_pathname", "str"),
            ("$num_uniq_urls", "int"),
            ("$entry_referring_domain", "str"),
            ("$entry_utm_source", "str"),
            ("$entry_utm_campaign", "str"),
            ("$entry_utm_medium", "str"),
            ("$entry_utm_term", "str"),
            ("$entry_utm_content", "str"),
            ("$entry_gclid", "str"),
            ("$entry_fbclid", "str"),
            ("$pageview_count", "int"),
            ("$autocapture_count", "int"),
            ("$screen_count", "int"),
            ("$is_bounce", "int"),
        ),
        keys=("session_id",),
    ),
    # Groups (organizations, companies...) of every group type; `index` is the group type's
    # index (events carry the group's key in `$group_<index>`).
    "groups": HogQLTable(
        "groups",
        (
            ("index", "int"),
            ("key", "str"),
            ("created_at", "dt"),
            ("updated_at", "dt"),
            ("properties", "json"),
        ),
        keys=("index", "key"),
    ),
}


REST_SHARED_TABLES: Mapping[str, HogQLTable] = {
    # The REST list's `id` is the person UUID, HogQL's `persons.id` too; `created_at` and
    # `properties` hold the same values. `name`, `distinct_ids` and `uuid` are REST-only.
    "persons": HogQLTable(
        "persons",
        (("id", "uuid"), ("created_at", "dt"), ("properties", "json")),
        keys=("id",),
        partial=True,
        normalise_json=True,
    ),
}

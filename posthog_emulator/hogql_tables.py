"""The HogQL tables the emulator knows, and `system.*` tables built from REST state.

Owns the list of queryable HogQL tables and the column lists and ClickHouse types of the
`system.*` tables (from PostHog's `schema/system.py`, per the API reference). `system.*` rows
come from the REST side of the emulator at query time and are read through ClickHouse's
`format(JSONEachRow, ...)` table function, so their text never becomes SQL.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import sqlglot.expressions as exp

HOGQL_TABLES = frozenset({"events", "persons", "sessions", "person_distinct_ids", "groups"})

_NULL_TEXT = "CAST(NULL AS Nullable(String))"
_CHAIN = 'extractAll(elements_chain, \'(?::|")%s="(.*?)"\')'
# Fields of PostHog's tables the store does not hold as columns, as ClickHouse expressions over
# the store's columns (`{team}` is the project id). They are added only when a query names
# them, so `SELECT *` keeps the store's columns. What the emulator cannot know (error tracking,
# bot detection, revenue) is the type's empty value.
EXTRA_FIELDS: dict[str, dict[str, str]] = {
    "events": {
        "team_id": "toInt64({team})",
        "$session_id_uuid": "toUUIDOrNull(`$session_id`)",
        "person_mode": "'full'",
        # UNVERIFIED: PostHog reads these from materialized columns; same regular expressions
        # over the chain here.
        "elements_chain_href": "extract(elements_chain, '(?::|\")href=\"(.*?)\"')",
        "elements_chain_texts": f"arrayDistinct({_CHAIN % 'text'})",
        "elements_chain_ids": f"arrayDistinct({_CHAIN % 'attr_id'})",
        "elements_chain_elements": "arrayDistinct(extractAll(elements_chain, "
        "'(?:^|;)(a|button|form|input|select|textarea|label)(?:\\.|$|:)'))",
        **dict.fromkeys(
            (
                "event_issue_id", "issue_id", "issue_id_v2", "issue_name", "issue_description",
                "issue_status", "issue_severity", "issue_assigned_user_id",
                "issue_assigned_role_id",
            ),
            _NULL_TEXT,
        ),
        "issue_first_seen": "CAST(NULL AS Nullable(DateTime64(6, 'UTC')))",
        "$virt_is_bot": "false",
        "$virt_traffic_type": "''",
        "$virt_traffic_category": "''",
        "$virt_bot_name": "''",
        "$virt_bot_operator": "''",
    },
    "persons": {
        "team_id": "toInt64({team})",
        "$virt_initial_referring_domain_type": _NULL_TEXT,
        "$virt_initial_channel_type": _NULL_TEXT,
        "$virt_revenue": "CAST(NULL AS Nullable(Float64))",
        "$virt_mrr": "CAST(NULL AS Nullable(Float64))",
    },
    "person_distinct_ids": {"team_id": "toInt64({team})"},
    "groups": {
        "team_id": "toInt64({team})",
        "$virt_revenue": "CAST(NULL AS Nullable(Float64))",
        "$virt_mrr": "CAST(NULL AS Nullable(Float64))",
    },
    "sessions": {"team_id": "toInt64({team})"},
}  # fmt: skip
EXTRA_FIELDS["persons_raw"] = EXTRA_FIELDS["persons"]

_TS = "Nullable(DateTime64(6, 'UTC'))"
_JSON = "Nullable(String)"
_TEXT = "Nullable(String)"
# Booleans are exposed as toInt(...) in PostHog's system tables, hence Int64.
SYSTEM_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "dashboards": (
        ("id", "Int64"), ("team_id", "Int64"), ("name", _TEXT), ("description", _TEXT),
        ("created_at", _TS), ("deleted", "Int64"), ("filters", _JSON), ("variables", _JSON),
    ),
    "insights": (
        ("id", "Int64"), ("short_id", _TEXT), ("team_id", "Int64"), ("name", _TEXT),
        ("description", _TEXT), ("filters", _JSON), ("query", _JSON), ("query_metadata", _JSON),
        ("deleted", "Int64"), ("saved", "Int64"), ("created_at", _TS), ("updated_at", _TS),
    ),
    "cohorts": (
        ("id", "Int64"), ("team_id", "Int64"), ("name", _TEXT), ("description", _TEXT),
        ("deleted", "Int64"), ("filters", _JSON), ("groups", _JSON), ("query", _JSON),
        ("created_at", _TS), ("last_calculation", _TS), ("version", "Nullable(Int64)"),
        ("count", "Nullable(Int64)"), ("is_static", "Int64"),
    ),
    "feature_flags": (
        ("id", "Int64"), ("team_id", "Int64"), ("key", "String"), ("name", _TEXT),
        ("filters", _JSON), ("rollout_percentage", "Nullable(Float64)"), ("created_at", _TS),
        ("deleted", "Int64"),
    ),
    "experiments": (
        ("id", "Int64"), ("team_id", "Int64"), ("name", _TEXT), ("description", _TEXT),
        ("created_at", _TS), ("updated_at", _TS), ("filters", _JSON), ("parameters", _JSON),
        ("start_date", _TS), ("end_date", _TS), ("archived", "Int64"),
        ("feature_flag_id", "Nullable(Int64)"),
    ),
    "surveys": (
        ("id", "String"), ("team_id", "Int64"), ("name", _TEXT), ("type", _TEXT),
        ("questions", _JSON), ("appearance", _JSON), ("start_date", _TS), ("end_date", _TS),
        ("created_at", _TS),
    ),
}  # fmt: skip


def _cell(value: Any, type_name: str) -> Any:
    if value is None:
        return None
    if type_name == _JSON:
        return value if isinstance(value, str) else json.dumps(value, default=str)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if "String" in type_name and not isinstance(value, str):
        return str(value)
    return value


def system_table_sql(name: str, rows: list[dict[str, Any]] | None) -> str | None:
    """A SELECT over `rows` with the columns of `system.<name>`; None for an unknown table.

    With `rows=None` it only answers whether the table exists.
    """
    columns = SYSTEM_COLUMNS.get(name)
    if columns is None:
        return None
    if rows is None:
        return ""
    structure = ", ".join(f"`{col}` {typ}" for col, typ in columns)
    lines = [
        json.dumps({col: _cell(row.get(col), typ) for col, typ in columns}, default=str)
        for row in rows
    ]
    names = ", ".join(f"`{col}`" for col, _ in columns)
    data = exp.Literal.string("\n".join(lines) or "{}").sql(dialect="clickhouse")
    where = "" if lines else " WHERE 0"
    return (
        f"SELECT {names} FROM format(JSONEachRow, "
        f"{exp.Literal.string(structure).sql(dialect='clickhouse')}, {data}){where}"
    )

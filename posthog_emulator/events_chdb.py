"""The one embedded ClickHouse (chDB) session of the emulator process, the store's schema, and
the values and rows of the store's queries (timestamps as ClickHouse text, array parameters).

chDB runs one engine per process, so every `EventStore` gets its own database inside one shared
session, and every call goes through one lock: the emulator's HTTP server is threaded and the
engine must see one statement at a time.
"""

from __future__ import annotations

import itertools
import json
import re
import tempfile
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

from chdb import session as chdb_session

_lock = threading.RLock()
_session: Any = None
_db_counter = itertools.count(1)

# Output settings every read uses: integers as JSON numbers, lenient date parsing (ISO strings with
# T and Z compare against DateTime64 columns), all times in UTC.
READ_SETTINGS = (
    "output_format_json_quote_64bit_integers=0, output_format_json_quote_denormals=0, "
    "date_time_input_format='best_effort', session_timezone='UTC', max_execution_time=60"
)


class EngineError(Exception):
    """A ClickHouse error, with its numeric code and code name when the message carries them."""


def _get_session() -> Any:
    global _session
    if _session is None:
        _session = chdb_session.Session(tempfile.mkdtemp(prefix="posthog-emulator-chdb-"))
    return _session


def lock() -> threading.RLock:
    """The lock that serialises engine access; hold it across multi-statement work."""
    return _lock


def execute(sql: str, params: dict[str, Any] | None = None) -> None:
    """Run a statement that returns nothing (DDL, INSERT, mutations)."""
    with _lock:
        try:
            _get_session().query(sql, "CSV", params=params or {})
        except RuntimeError as exc:
            raise EngineError(str(exc)) from exc


def query_json(sql: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a SELECT and return ClickHouse's JSONCompact document (meta, data, rows)."""
    with _lock:
        try:
            result = _get_session().query(sql, "JSONCompact", params=params or {})
        except RuntimeError as exc:
            raise EngineError(str(exc)) from exc
        raw = result.bytes()
    if not raw:
        return {"meta": [], "data": [], "rows": 0}
    doc: dict[str, Any] = json.loads(raw.decode("utf-8", errors="replace"))
    return doc


def query_rows(sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run a SELECT and return its rows as dicts keyed by column name."""
    doc = query_json(f"{sql} SETTINGS {READ_SETTINGS}", params)
    names = [m["name"] for m in doc["meta"]]
    return [dict(zip(names, row)) for row in doc["data"]]


_columns: dict[tuple[str, str], list[tuple[str, str]]] = {}


def columns(db: str, table: str) -> list[tuple[str, str]]:
    """(name, ClickHouse type) of a store table or view, in order; cached (schemas are fixed)."""
    key = (db, table)
    if key not in _columns:
        doc = query_json(f"DESCRIBE TABLE {db}.`{table}`")
        _columns[key] = [(row[0], row[1]) for row in doc.get("data", [])]
    return _columns[key]


def new_database() -> str:
    """Create an empty store database with the HogQL-facing tables and views; return its name."""
    name = f"posthog_store_{next(_db_counter)}"
    for ddl in _schema(name):
        execute(ddl)
    return name


def drop_database(name: str) -> None:
    execute(f"DROP DATABASE IF EXISTS {name}")


# Click ids of sessions v2's `$entry_<id>` fields (sessions_v2.py), read from event properties.
CLICK_IDS = (
    "gclid", "gad_source", "gclsrc", "dclid", "gbraid", "wbraid", "fbclid", "msclkid", "twclid",
    "li_fat_id", "mc_cid", "igshid", "ttclid", "_kx", "irclid",
)  # fmt: skip
UTM = ("utm_source", "utm_campaign", "utm_medium", "utm_term", "utm_content")
_PROP = "JSONExtractString(properties, '{}')"
# UNVERIFIED simplification of PostHog's default channel type (channel_type.py has many more
# rules and a source-type lookup table): enough for a user to group sessions by channel.
_CHANNEL = """multiIf(
    `$entry_gclid` != '' OR `$entry_gad_source` != '' OR `$entry_utm_medium` IN ('cpc', 'ppc', 'paid'),
        'Paid Search',
    `$entry_utm_medium` = 'email', 'Email',
    `$entry_utm_medium` = 'social' OR `$entry_referring_domain` IN
        ('twitter.com', 'www.linkedin.com', 'news.ycombinator.com', 'www.facebook.com'),
        'Organic Social',
    `$entry_referring_domain` IN ('www.google.com', 'www.bing.com', 'duckduckgo.com'),
        'Organic Search',
    `$entry_referring_domain` IN ('$direct', '') AND `$entry_utm_source` = '', 'Direct',
    'Referral')"""  # noqa: E501


def _sessions_view(db: str) -> str:
    """Sessions v2 (PostHog's default) with all 49 fields, aggregated from the events."""
    url, path = _PROP.format("$current_url"), _PROP.format("$pathname")
    first = [
        f"argMin({_PROP.format(key)}, timestamp) AS `$entry_{key}`" for key in (*UTM, *CLICK_IDS)
    ]
    return f"""CREATE VIEW {db}.sessions AS SELECT
            session_id AS id, *, `$session_duration` AS duration,
            {_CHANNEL} AS `$channel_type`,
            toUInt8(`$page_screen_autocapture_count_up_to` <= 1 AND `$session_duration` < 10)
                AS `$is_bounce`
        FROM (SELECT
            `$session_id` AS session_id,
            toUInt128(0) AS session_id_v7,
            any(distinct_id) AS distinct_id,
            min(timestamp) AS `$start_timestamp`,
            max(timestamp) AS `$end_timestamp`,
            max(created_at) AS max_inserted_at,
            groupUniqArrayIf({url}, event = '$pageview') AS `$urls`,
            toInt64(length(`$urls`)) AS `$num_uniq_urls`,
            argMin({url}, timestamp) AS `$entry_current_url`,
            argMin({path}, timestamp) AS `$entry_pathname`,
            domain(`$entry_current_url`) AS `$entry_hostname`,
            argMax({url}, timestamp) AS `$end_current_url`,
            argMax({path}, timestamp) AS `$end_pathname`,
            domain(`$end_current_url`) AS `$end_hostname`,
            argMin({_PROP.format("$referring_domain")}, timestamp) AS `$entry_referring_domain`,
            {", ".join(first)},
            toInt64(countIf(event = '$pageview')) AS `$pageview_count`,
            toInt64(countIf(event = '$autocapture')) AS `$autocapture_count`,
            toInt64(countIf(event = '$screen')) AS `$screen_count`,
            toInt64(dateDiff('second', min(timestamp), max(timestamp))) AS `$session_duration`,
            '' AS `$last_external_click_url`,
            toInt64(countIf(event IN ('$pageview', '$screen'))) AS
                `$page_screen_autocapture_count_up_to`,
            argMaxIf({url}, timestamp, event = '$pageview') AS `$exit_current_url`,
            argMaxIf({path}, timestamp, event = '$pageview') AS `$exit_pathname`,
            CAST(NULL AS Nullable(Float64)) AS `$vitals_lcp`
        FROM {db}.events WHERE `$session_id` != '' GROUP BY `$session_id`)"""


def _schema(db: str) -> list[str]:
    ts = "DateTime64(6, 'UTC')"
    groups = ", ".join(f"`$group_{i}` String" for i in range(5))
    return [
        f"CREATE DATABASE {db}",
        # Column order is what `SELECT * FROM events` shows.
        f"""CREATE TABLE {db}.events (
            uuid UUID, event String, properties String, timestamp {ts}, distinct_id String,
            elements_chain String, created_at {ts}, `$session_id` String, person_id UUID,
            `$window_id` String, {groups}
        ) ENGINE = MergeTree ORDER BY (timestamp, uuid)""",
        f"""CREATE TABLE {db}.persons_raw (
            pk Int64, id UUID, created_at {ts}, properties String, is_identified UInt8
        ) ENGINE = MergeTree ORDER BY pk""",
        f"""CREATE TABLE {db}.person_distinct_ids (
            distinct_id String, person_id UUID
        ) ENGINE = MergeTree ORDER BY distinct_id""",
        f"""CREATE TABLE {db}.groups (
            `index` Int64, key String, created_at {ts}, updated_at {ts}, properties String
        ) ENGINE = MergeTree ORDER BY (`index`, key)""",
        f"""CREATE VIEW {db}.persons AS
            SELECT id, created_at, properties, is_identified FROM {db}.persons_raw""",
        _sessions_view(db),
    ]


# -- values and rows of the store's queries ----------------------------------------------

_RELATIVE = re.compile(r"^-(\d+)([hdwmy])$")
_RELATIVE_UNITS = {"h": 1 / 24, "d": 1, "w": 7, "m": 30, "y": 365}


def clickhouse_time(value: str | datetime, now: datetime) -> str:
    """An ISO-8601 string, a datetime or a relative date such as '-7d', as a ClickHouse string."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    else:
        match = _RELATIVE.match(value.strip())
        if match:
            moment = now - timedelta(days=int(match.group(1)) * _RELATIVE_UNITS[match.group(2)])
        else:
            try:
                moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError as exc:
                raise ValueError(f"not an ISO-8601 date or relative date: {value!r}") from exc
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def store_rows(sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Rows with `uid` renamed to `id` (an alias named like a column would shadow it in WHERE)."""
    rows = query_rows(sql, params)
    for row in rows:
        if "uid" in row:
            row["id"] = row.pop("uid")
    return rows


def array_param(items: list[str]) -> str:
    """A ClickHouse Array(String) query-parameter value: each item quoted and escaped."""
    quoted = ("'" + item.replace("\\", "\\\\").replace("'", "\\'") + "'" for item in items)
    return "[" + ",".join(quoted) + "]"

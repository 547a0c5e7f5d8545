"""The one embedded ClickHouse (chDB) session of the emulator process, and the store's schema.

chDB runs one engine per process, so every `EventStore` gets its own database inside one shared
session, and every call goes through one lock: the emulator's HTTP server is threaded and the
engine must see one statement at a time.
"""

from __future__ import annotations

import itertools
import json
import tempfile
import threading
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


def _schema(db: str) -> list[str]:
    ts = "DateTime64(6, 'UTC')"
    url = "JSONExtractString(properties, '$current_url')"
    path = "JSONExtractString(properties, '$pathname')"
    return [
        f"CREATE DATABASE {db}",
        # Column order is what `SELECT * FROM events` shows.
        f"""CREATE TABLE {db}.events (
            uuid UUID, event String, properties String, timestamp {ts}, distinct_id String,
            elements_chain String, created_at {ts}, `$session_id` String, person_id UUID
        ) ENGINE = MergeTree ORDER BY (timestamp, uuid)""",
        f"""CREATE TABLE {db}.persons_raw (
            pk Int64, id UUID, created_at {ts}, properties String, is_identified UInt8
        ) ENGINE = MergeTree ORDER BY pk""",
        f"""CREATE TABLE {db}.person_distinct_ids (
            distinct_id String, person_id UUID
        ) ENGINE = MergeTree ORDER BY distinct_id""",
        f"""CREATE VIEW {db}.persons AS
            SELECT id, created_at, properties, is_identified FROM {db}.persons_raw""",
        f"""CREATE VIEW {db}.sessions AS SELECT
            `$session_id` AS session_id,
            any(distinct_id) AS distinct_id,
            min(timestamp) AS `$start_timestamp`,
            max(timestamp) AS `$end_timestamp`,
            dateDiff('second', min(timestamp), max(timestamp)) AS `$session_duration`,
            argMin({url}, timestamp) AS `$entry_current_url`,
            argMin({path}, timestamp) AS `$entry_pathname`,
            argMax({url}, timestamp) AS `$end_current_url`,
            argMax({path}, timestamp) AS `$end_pathname`,
            groupUniqArrayIf({url}, event = '$pageview') AS `$urls`,
            countIf(event = '$pageview') AS `$pageview_count`,
            countIf(event = '$autocapture') AS `$autocapture_count`,
            count() AS `$event_count`,
            toUInt8(`$pageview_count` <= 1 AND `$session_duration` < 10) AS `$is_bounce`
        FROM {db}.events WHERE `$session_id` != '' GROUP BY `$session_id`""",
    ]

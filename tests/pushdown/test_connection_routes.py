"""Both routes through the DB-API connection: pushdown="required" against pushdown="off".

The differential corpus runs twice on real connections to the emulator, once sent whole to the
Query API as HogQL and once in SQLite over the events adapter (which pages the Query API by
keyset), and the rows must be equal. On a connection ``persons`` is the REST resource: its
SELECTs over the columns HogQL shares run as HogQL, and ``pushdown="off"`` reads them through REST,
so the comparison also proves the two sources agree. ``sessions`` and ``person_distinct_ids`` are
read-only HogQL tables of the connection.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

import posthog_dbapi
from posthog_emulator import EmulatorServer
from tests.oracle import middle_timestamp, stored_events
from tests.sent_hogql import timestamp_bounds

from .test_differential import STATEMENTS, _bind, _normal

MID = "{mid}"
EVENT_STATEMENTS = [
    (sql, params)
    for sql, params in STATEMENTS
    if not re.search(r"\b(persons|person_distinct_ids|sessions)\b", sql)
]
# Persons statements of the corpus over the columns the REST resource has too.
SHARED_PERSON_STATEMENTS = [
    (sql, params)
    for sql, params in STATEMENTS
    if re.search(r"\bpersons\b", sql) and "is_identified" not in sql
]
TABLE_STATEMENTS: list[tuple[str, tuple[Any, ...]]] = [
    ("SELECT id, created_at, properties FROM persons", ()),
    (
        "SELECT id, json_extract(properties, '$.email') AS email FROM persons "
        "WHERE json_extract(properties, '$.plan') = ?",
        ("pro",),
    ),
    (
        "SELECT json_extract(properties, '$.plan') AS plan, count(*) FROM persons GROUP BY plan",
        (),
    ),
    ("SELECT id FROM persons ORDER BY created_at, id LIMIT 10 OFFSET 5", ()),
    ("SELECT date(created_at) AS d, count(*) FROM persons GROUP BY d ORDER BY d", ()),
    ("SELECT p.properties FROM persons AS p WHERE p.created_at >= ?", (MID,)),
    ('SELECT count(*), sum("$pageview_count"), max("$session_duration") FROM sessions', ()),
    ('SELECT "$entry_pathname", count(*) FROM sessions GROUP BY 1 ORDER BY 2 DESC, 1', ()),
    ('SELECT session_id, "$start_timestamp" FROM sessions WHERE "$is_bounce" = 1', ()),
    ('SELECT * FROM sessions WHERE "$start_timestamp" >= ?', (MID,)),
    ('SELECT avg("$autocapture_count") FROM sessions WHERE distinct_id LIKE ?', ("user%",)),
    (
        'SELECT "$channel_type", "$entry_utm_source", count(*), sum("$is_bounce") FROM sessions '
        "GROUP BY 1, 2",
        (),
    ),
    ('SELECT "index", key, created_at, properties FROM groups ORDER BY "index", key', ()),
    ('SELECT "$group_0", count(*) FROM events WHERE "$group_0" != ? GROUP BY 1', ("",)),
    ('SELECT session_id FROM sessions ORDER BY "$end_timestamp" DESC, session_id LIMIT 20', ()),
    ("SELECT count(*), count(DISTINCT person_id) FROM person_distinct_ids", ()),
    (
        "SELECT person_id, count(*) FROM person_distinct_ids GROUP BY person_id "
        "HAVING count(*) > 1",
        (),
    ),
    ("SELECT * FROM person_distinct_ids ORDER BY distinct_id LIMIT 50", ()),
    (
        "SELECT count(*) FROM events WHERE distinct_id IN "
        "(SELECT distinct_id FROM person_distinct_ids)",
        (),
    ),
]
CONNECTION_STATEMENTS = EVENT_STATEMENTS + SHARED_PERSON_STATEMENTS + TABLE_STATEMENTS


def _connect(server: EmulatorServer, pushdown: str) -> Any:
    return posthog_dbapi.connect(
        server.url, server.api_key, server.project_id, pushdown=pushdown, rate_budget=False
    )


@pytest.fixture(scope="module")
def routes(emulator_server: EmulatorServer) -> Iterator[tuple[Any, Any]]:
    pushed, local = _connect(emulator_server, "required"), _connect(emulator_server, "off")
    yield pushed, local
    pushed.close()
    local.close()


@pytest.fixture(scope="module")
def middle_time(routes: tuple[Any, Any]) -> tuple[str, str]:
    cursor = routes[1].cursor()
    cursor.execute("SELECT timestamp FROM events ORDER BY timestamp LIMIT 1 OFFSET 10000")
    (mid,) = cursor.fetchone()
    text = mid.isoformat()
    return text, text[:10]


def test_the_corpus_is_large_enough() -> None:
    assert len(EVENT_STATEMENTS) >= 50
    assert len(SHARED_PERSON_STATEMENTS) + len(TABLE_STATEMENTS) >= 20


@pytest.mark.parametrize(
    ("sql", "params"), CONNECTION_STATEMENTS, ids=[s[:60] for s, _ in CONNECTION_STATEMENTS]
)
def test_same_rows_by_either_route(
    sql: str, params: tuple[Any, ...], routes: tuple[Any, Any], middle_time: tuple[str, str]
) -> None:
    bound = _bind(params, *middle_time)
    pushed_cursor, local_cursor = routes[0].cursor(), routes[1].cursor()
    pushed_cursor.execute(sql, bound)
    local_cursor.execute(sql, bound)
    assert pushed_cursor.route == "hogql" and pushed_cursor.hogql
    assert local_cursor.route == "sqlite"
    pushed = [tuple(_normal(v) for v in row) for row in pushed_cursor.fetchall()]
    local = [tuple(_normal(v) for v in row) for row in local_cursor.fetchall()]
    assert [d[0] for d in pushed_cursor.description] == [d[0] for d in local_cursor.description]
    if " ORDER BY " in sql.upper().rsplit(")", 1)[-1]:
        assert pushed == local
    else:
        assert sorted(pushed, key=repr) == sorted(local, key=repr)


def test_an_aggregate_is_one_query_request(emulator: EmulatorServer) -> None:
    with _connect(emulator, "auto") as conn:
        cursor = conn.cursor()
        emulator.app.request_log.clear()
        cursor.execute("SELECT event, count(*) FROM events GROUP BY event")
        rows = cursor.fetchall()
    assert cursor.route == "hogql"
    assert cursor.queries == [cursor.hogql]
    assert sum(n for _, n in rows) == emulator.app.projects[1].events.event_count()
    assert [r.path for r in emulator.app.request_log] == ["/api/projects/1/query/"]


def test_fallback_is_visible_and_can_be_refused(emulator: EmulatorServer) -> None:
    # round() in HAVING has no exact HogQL (a result column's is rounded by the client).
    sql = "SELECT count(*) FROM events GROUP BY event HAVING round(avg(length(event)), 2) > 0"
    with _connect(emulator, "auto") as conn:
        cursor = conn.cursor()
        cursor.execute(sql)
        assert cursor.fetchone()[0] > 0
        assert cursor.route == "sqlite"
        assert cursor.route_reason
    with _connect(emulator, "required") as conn:
        with pytest.raises(posthog_dbapi.NotSupportedError, match="cannot run as HogQL"):
            conn.cursor().execute(sql)
        # REST tables are not affected by the pushdown mode.
        cursor = conn.cursor()
        cursor.execute("SELECT count(*) FROM dashboards")
        assert cursor.route == "sqlite" and cursor.fetchone()[0] > 0


def test_fallback_pushes_event_filters_into_the_query(emulator: EmulatorServer) -> None:
    events = stored_events(emulator.app.projects[1].events)
    since, until = middle_timestamp(events), events[len(events) * 3 // 4]["timestamp"]
    views = [e for e in events if e["event"] == "$pageview"]
    expected = sum(1 for e in views if since <= e["timestamp"] < until)
    assert 0 < expected < len(views)  # both bounds inside the data
    with _connect(emulator, "off") as conn:
        cursor = conn.cursor()
        emulator.app.request_log.clear()
        cursor.execute(
            "SELECT count(*) FROM events WHERE event = ? AND timestamp >= ? AND timestamp < ?",
            ("$pageview", since.isoformat(), until.isoformat()),
        )
        (count,) = cursor.fetchone()
    assert count == expected
    assert len([r for r in emulator.app.request_log if r.path.endswith("/query/")]) == 1
    (sent,) = emulator.app.queries.received
    assert sorted(timestamp_bounds(sent)) == [("<", until), (">=", since)], sent.text


def test_native_hogql_mode(emulator: EmulatorServer) -> None:
    with posthog_dbapi.connect(
        emulator.url, emulator.api_key, emulator.project_id, hogql=True
    ) as conn:
        cursor = conn.cursor()
        cursor.execute(
            "SELECT event, count() AS c FROM events WHERE event = {name} GROUP BY event",
            {"name": "purchase"},
        )
        rows = cursor.fetchall()
        assert cursor.route == "hogql"
        assert [d[0] for d in cursor.description or []] == ["event", "c"]
    assert rows and rows[0][0] == "purchase" and rows[0][1] > 0


def test_unknown_pushdown_mode_is_refused_before_any_request(emulator: EmulatorServer) -> None:
    emulator.app.request_log.clear()
    with pytest.raises(posthog_dbapi.InterfaceError, match="pushdown must be one of"):
        posthog_dbapi.connect(emulator.url, emulator.api_key, 1, pushdown="sometimes")
    assert list(emulator.app.request_log) == []


def test_persons_columns_only_rest_has_and_writes_stay_on_rest(emulator: EmulatorServer) -> None:
    with _connect(emulator, "required") as conn:
        cursor = conn.cursor()
        cursor.execute("SELECT id, name, distinct_ids FROM persons LIMIT 3")
        rows = cursor.fetchall()
        assert cursor.route == "sqlite" and "name" in (cursor.route_reason or "")
        assert len(rows) == 3 and all(isinstance(r[1], str) for r in rows)
        cursor.execute("SELECT * FROM persons LIMIT 1")
        assert cursor.route == "sqlite" and len(cursor.description) == 6
        cursor.execute("SELECT id, properties FROM persons ORDER BY id LIMIT 1")
        assert cursor.route == "hogql"
        person_id, properties = cursor.fetchone()
        emulator.app.request_log.clear()
        # The same properties back, so the shared demo data stays as it was: the REST adapter
        # reads the person by id and has nothing to PATCH.
        cursor.execute("UPDATE persons SET properties = ? WHERE id = ?", (properties, person_id))
        assert cursor.route == "sqlite" and cursor.rowcount == 1
        paths = [r.path for r in emulator.app.request_log]
        assert any("/persons/" in p for p in paths), paths
        assert not any(p.endswith("/query/") for p in paths), paths


def test_hogql_only_tables_are_reflected_and_read_only(emulator: EmulatorServer) -> None:
    with _connect(emulator, "auto") as conn:
        names = conn.table_names()
        assert {"sessions", "person_distinct_ids", "persons", "events"} <= set(names)
        assert list(conn.get_fields("person_distinct_ids")) == ["distinct_id", "person_id"]
        assert conn.get_fields("sessions")["$session_duration"]["type"] == "integer"
        cursor = conn.cursor()
        for sql in (
            "DELETE FROM sessions",
            "INSERT INTO person_distinct_ids (distinct_id, person_id) VALUES ('a', 'b')",
            'UPDATE sessions SET "$is_bounce" = 0',
        ):
            emulator.app.request_log.clear()
            with pytest.raises(posthog_dbapi.NotSupportedError, match="does not let one"):
                cursor.execute(sql)
            assert list(emulator.app.request_log) == []


def test_a_bare_dollar_name_is_a_parameter_as_in_sqlite(emulator: EmulatorServer) -> None:
    with (
        _connect(emulator, "required") as conn,
        pytest.raises(posthog_dbapi.NotSupportedError, match="quote the column"),
    ):
        conn.cursor().execute("SELECT sum($pageview_count) FROM sessions")

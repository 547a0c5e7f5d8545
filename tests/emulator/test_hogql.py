"""HogQL on the event store: PostHog's limits, fields, placeholders, tables and errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import Any

import pytest

from posthog_emulator.eventstore import EventStore, HogQLError

NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)
OFFSET_MESSAGE = "OFFSET is not supported on queries made with a personal API key"


@pytest.fixture(scope="module")
def store() -> Iterator[EventStore]:
    s = EventStore.demo(seed=5, persons=150, events=12_000, now=NOW)
    yield s
    s.close()


def q(store: EventStore, sql: str, values: dict[str, Any] | None = None, **kw: Any) -> dict:
    kw.setdefault("system_tables", {})
    return store.run_hogql(sql, values, **kw)


def test_group_by_counts_every_event(store: EventStore) -> None:
    r = q(store, "SELECT event, count() FROM events GROUP BY event ORDER BY count() DESC")
    assert r["columns"] == ["event", "count()"]
    assert r["types"] == [["event", "String"], ["count()", "UInt64"]]
    assert sum(row[1] for row in r["results"]) == 12_000
    assert r["results"][0][0] == "$pageview"
    for key in ("hogql", "clickhouse", "query", "modifiers", "timings", "timezone", "error"):
        assert key in r
    assert r["error"] is None and r["is_cached"] is False and r["timezone"] == "UTC"


def test_no_limit_returns_100_rows_and_has_more(store: EventStore) -> None:
    r = q(store, "SELECT uuid FROM events")
    assert len(r["results"]) == 100
    assert (r["hasMore"], r["limit"], r["offset"]) == (True, 100, 0)
    assert "LIMIT 101" in r["hogql"]
    small = q(store, "SELECT DISTINCT event FROM events")
    assert small["hasMore"] is False and len(small["results"]) < 100


def test_explicit_limit_is_capped_and_has_no_paging_fields(store: EventStore) -> None:
    r = q(store, "SELECT uuid FROM events LIMIT 7")
    assert len(r["results"]) == 7
    assert (r["hasMore"], r["limit"], r["offset"]) == (None, None, None)
    big = q(store, "SELECT uuid FROM events LIMIT 1000000")
    assert len(big["results"]) == 12_000
    assert "LIMIT 50000" in big["clickhouse"]


def test_offset_is_refused_unless_allowed(store: EventStore) -> None:
    with pytest.raises(HogQLError) as err:
        q(store, "SELECT uuid FROM events ORDER BY timestamp LIMIT 5 OFFSET 5")
    assert err.value.message.startswith(OFFSET_MESSAGE) and err.value.code == "invalid_input"
    with pytest.raises(HogQLError):
        q(store, "SELECT c FROM (SELECT uuid AS c FROM events ORDER BY c LIMIT 5 OFFSET 5)")
    sql = "SELECT uuid FROM events ORDER BY timestamp, uuid LIMIT {n}"
    first = q(store, sql, {"n": 10})["results"]
    later = q(store, sql + " OFFSET 5", {"n": 5}, allow_offset=True)["results"]
    assert later == first[5:]


def test_value_encoding(store: EventStore) -> None:
    r = q(store, "SELECT uuid, timestamp, toDate(timestamp), person_id, 1 = 1 FROM events LIMIT 1")
    uuid, ts, day, person, truth = r["results"][0]
    assert len(uuid) == 36 and uuid.count("-") == 4 and len(person) == 36
    assert ts.endswith("Z") and "T" in ts and day == ts[:10]
    assert truth == 1
    types = dict(r["types"])
    assert types["timestamp"] == "DateTime64(6, 'UTC')" and types["uuid"] == "UUID"


def test_select_star_columns(store: EventStore) -> None:
    r = q(store, "SELECT * FROM events LIMIT 1")
    assert r["columns"][:4] == ["uuid", "event", "properties", "timestamp"]
    assert {"distinct_id", "person_id", "$session_id", "elements_chain"} <= set(r["columns"])
    assert q(store, "SELECT * FROM persons LIMIT 1")["columns"] == [
        "id", "created_at", "properties", "is_identified"
    ]  # fmt: skip


def test_property_access_forms_agree(store: EventStore) -> None:
    r = q(
        store,
        "SELECT properties.$browser, properties['$browser'], events.properties.$browser, "
        "e.properties.$browser FROM events e ORDER BY timestamp LIMIT 20",
    )
    assert r["columns"][0] == "$browser"
    assert all(len(set(row)) == 1 and row[0] for row in r["results"])
    assert r["types"][0][1] == "Nullable(String)"


def test_property_filter_and_group(store: EventStore) -> None:
    by_browser = dict(
        q(store, "SELECT properties.$browser AS b, count() FROM events GROUP BY b")["results"]
    )
    [[safari]] = q(store, "SELECT count() FROM events WHERE properties.$browser = 'Safari'")[
        "results"
    ]
    assert safari == by_browser["Safari"] > 0
    assert q(store, "SELECT properties.nope FROM events LIMIT 1")["results"] == [[None]]


def test_nested_property_is_nullable_string(store: EventStore) -> None:
    s = EventStore()
    try:
        s.add_events([{"event": "e", "distinct_id": "d", "properties": {"a": {"b": 5, "c": "x"}}}])
        r = q(
            s,
            "SELECT properties.a.b, properties.a.c, properties['a']['b'], properties.a.zz "
            "FROM events",
        )
        assert r["results"] == [["5", "x", "5", None]]
        assert [t for _, t in r["types"]] == ["Nullable(String)"] * 4
    finally:
        s.close()


def test_person_properties_through_the_lazy_join(store: EventStore) -> None:
    r = q(
        store,
        "SELECT person.properties.email, person.id, person_id, distinct_id FROM events "
        "WHERE person.properties.email IS NOT NULL LIMIT 30",
    )
    assert r["columns"][:2] == ["email", "id"]
    for email, pid, person_id, distinct_id in r["results"]:
        assert pid == person_id
        person = store.list_persons(distinct_id=distinct_id)[0]
        assert person["properties"]["email"] == email and person["id"] == pid


def test_placeholders_are_typed_constants(store: EventStore) -> None:
    values = {
        "s": "x", "i": 3, "f": 2.5, "b": True, "n": None, "lst": ["a", "b"],
        "d": date(2024, 5, 1), "dt": datetime(2024, 5, 1, 12, 30, tzinfo=timezone.utc),
    }  # fmt: skip
    r = q(store, "SELECT {s}, {i}, {f}, {b}, {n}, {lst}, {d}, {dt}", values)
    assert r["results"] == [
        ["x", 3, 2.5, True, None, ["a", "b"], "2024-05-01", "2024-05-01T12:30:00Z"]
    ]


HOSTILE = [
    "it's",
    "back\\slash\\",
    "{x}",
    '`tick` "dq"',
    "a -- comment",
    "/* block */ b",
    "line\nbreak",
    "') OR 1=1 --",
    "'; DROP TABLE events; --",
    "{s} {i}",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_placeholder_values_stay_one_value(store: EventStore, value: str) -> None:
    r = q(store, "SELECT {v} AS v, length({v}) AS n", {"v": value, "x": "other", "s": "S", "i": 1})
    assert r["results"] == [[value, len(value.encode())]]
    none = q(store, "SELECT count() FROM events WHERE event = {v}", {"v": value})
    assert none["results"] == [[0]]


def test_placeholder_inside_string_is_text_and_list_is_in(store: EventStore) -> None:
    assert q(store, "SELECT '{v}'", {"v": 1})["results"] == [["{v}"]]
    r = q(
        store,
        "SELECT event, count() FROM events WHERE event IN {names} GROUP BY event ORDER BY event",
        {"names": ["purchase", "signed_up"]},
    )
    assert [row[0] for row in r["results"]] == ["purchase", "signed_up"]


def test_missing_placeholder_is_an_error(store: EventStore) -> None:
    with pytest.raises(HogQLError, match=r"\{since\}"):
        q(store, "SELECT count() FROM events WHERE timestamp > {since}", {"other": 1})


def test_iso_datetime_values_compare_as_times(store: EventStore) -> None:
    [[total]] = q(store, "SELECT count() FROM events")["results"]
    [[recent]] = q(
        store, "SELECT count() FROM events WHERE timestamp > {t}", {"t": "2024-12-25T00:00:00Z"}
    )["results"]
    [[literal]] = q(store, "SELECT count() FROM events WHERE timestamp > '2024-12-25 00:00:00'")[
        "results"
    ]
    assert 0 < recent == literal < total


def test_date_functions(store: EventStore) -> None:
    r = q(
        store,
        "SELECT toStartOfDay(timestamp), toStartOfHour(timestamp), toStartOfWeek(timestamp), "
        "toStartOfMonth(timestamp), toStartOfQuarter(timestamp), toStartOfYear(timestamp), "
        "toStartOfMinute(timestamp), dateDiff('day', toDateTime('2024-01-01 00:00:00'), timestamp) "
        "FROM events WHERE timestamp > now() - INTERVAL 3650 DAY ORDER BY timestamp LIMIT 1",
    )
    assert r["columns"][0] == "toStartOfDay(timestamp)"
    row = r["results"][0]
    assert row[0].endswith("T00:00:00Z") and row[1].endswith(":00:00Z")
    assert row[3].endswith("-01") and row[5].endswith("-01-01") and row[7] > 200


def test_aggregates(store: EventStore) -> None:
    r = q(
        store,
        "SELECT uniq(distinct_id), uniqExact(person_id), countIf(event = '$pageview'), "
        "sum(toFloat(properties.revenue)), avg(toFloat(properties.revenue)), "
        "quantile(0.5)(toFloat(properties.revenue)), min(timestamp), max(timestamp) FROM events",
    )
    uniq, persons, pageviews, total, mean, median, first, last = r["results"][0]
    assert 0 < persons <= 150 and uniq >= persons * 0.8 and pageviews > 0
    assert total > mean > 0 and median > 0 and first < last


def test_cte_join_subquery_having(store: EventStore) -> None:
    r = q(
        store,
        "WITH pv AS (SELECT person_id, count() AS c FROM events WHERE event = '$pageview' "
        "GROUP BY person_id HAVING c > 5) "
        "SELECT p.properties.email AS email, pv.c FROM pv JOIN persons p ON p.id = pv.person_id "
        "WHERE p.id IN (SELECT person_id FROM events WHERE event = 'purchase') "
        "ORDER BY pv.c DESC LIMIT 3",
    )
    assert r["columns"] == ["email", "c"] and len(r["results"]) == 3
    counts = [row[1] for row in r["results"]]
    assert counts == sorted(counts, reverse=True) and counts[-1] > 5


def test_sessions_table(store: EventStore) -> None:
    r = q(
        store,
        "SELECT session_id, $start_timestamp, $end_timestamp, $session_duration, "
        "$entry_current_url, $pageview_count FROM sessions ORDER BY $session_duration DESC LIMIT 5",
    )
    for sid, start, end, duration, url, pageviews in r["results"]:
        assert start <= end and duration >= 0 and url.startswith("https://") and pageviews >= 1
        [[n]] = q(store, "SELECT count() FROM events WHERE $session_id = {s}", {"s": sid})[
            "results"
        ]
        assert n >= 1
    [[sessions]] = q(store, "SELECT count() FROM sessions")["results"]
    [[distinct]] = q(store, "SELECT uniqExact($session_id) FROM events")["results"]
    assert sessions == distinct


def test_person_distinct_ids_table(store: EventStore) -> None:
    r = q(store, "SELECT distinct_id, person_id, person.properties.email FROM person_distinct_ids")
    assert len(r["results"]) == 100
    [[count]] = q(store, "SELECT count() FROM person_distinct_ids")["results"]
    assert count >= 150


def test_system_tables_come_from_rest_rows(store: EventStore) -> None:
    rows = {
        "dashboards": [
            {"id": 1, "name": "It's {x} -- main", "deleted": False, "filters": {"a": [1]},
             "created_at": "2024-01-02T03:04:05Z"},
            {"id": 2, "name": "Old", "deleted": True},
        ],
        "feature_flags": [],
    }  # fmt: skip
    r = q(
        store,
        "SELECT id, name, filters, created_at FROM system.dashboards WHERE deleted = 0",
        system_tables=rows,
    )
    assert r["results"] == [[1, "It's {x} -- main", '{"a": [1]}', "2024-01-02T03:04:05Z"]]
    assert q(store, "SELECT key FROM system.feature_flags", system_tables=rows)["results"] == []
    assert q(store, "SELECT count() FROM system.cohorts")["results"] == [[0]]


def test_union_and_numbers(store: EventStore) -> None:
    r = q(store, "SELECT 1 AS x UNION ALL SELECT 2 AS x")
    assert sorted(row[0] for row in r["results"]) == [1, 2] and r["columns"] == ["x"]
    assert q(store, "SELECT number FROM numbers(3)")["results"] == [[0], [1], [2]]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT event FROM events WHERE", r"^Syntax error at line 1, column \d+: "),
        ("SELEC event FROM events", r"^Syntax error"),
        ("SELECT 'unterminated FROM events", r"^Syntax error at line 1, column 7"),
        ("DELETE FROM events WHERE 1", r"^Syntax error"),
        ("INSERT INTO events (event) VALUES ('x')", r"^Syntax error"),
        ("SELECT 1; DROP TABLE events", r"^Syntax error"),
        ("SELECT foo FROM events", r"^Unable to resolve field: foo$"),
        ("SELECT nope.bar FROM events", r"^Unable to resolve field: nope$"),
        ("SELECT event FROM nope", r"^Unknown table `nope`\.$"),
        ("SELECT * FROM system.tables", r"^Unknown table `system\.tables`\.$"),
        ("SELECT * FROM file('/etc/passwd')", r"^Unknown table"),
        ("SELECT * FROM url('http://127.0.0.1/')", r"^Unknown table"),
        ("SELECT * FROM other.events", r"^Unknown table `other\.events`\.$"),
        ("", r"empty"),
    ],
)
def test_errors(store: EventStore, sql: str, message: str) -> None:
    with pytest.raises(HogQLError, match=message) as err:
        q(store, sql)
    assert err.value.code == "invalid_input"
    assert "posthog_store" not in err.value.message


def test_events_table_survives_hostile_queries(store: EventStore) -> None:
    for sql in (
        "SELECT 1; DROP TABLE events",
        "DROP TABLE events",
        "ALTER TABLE events DELETE WHERE 1",
    ):
        with pytest.raises(HogQLError):
            q(store, sql)
    assert store.event_count() == 12_000

"""The emulator's event store: demo data, persons and legacy events listing (in process)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

from posthog_emulator.eventstore import EventStore

NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def store() -> Iterator[EventStore]:
    s = EventStore.demo(seed=7, persons=200, events=20_000, now=NOW)
    yield s
    s.close()


@pytest.fixture
def fresh() -> Iterator[EventStore]:
    s = EventStore.demo(seed=3, persons=30, events=2_000, now=NOW)
    yield s
    s.close()


def _rows(store: EventStore, sql: str) -> list[list]:
    return store.run_hogql(sql, None, system_tables={})["results"]


def test_demo_has_requested_sizes(store: EventStore) -> None:
    assert store.person_count() == 200
    assert store.event_count() == 20_000


def test_same_seed_gives_same_data_and_other_seed_does_not() -> None:
    sql = (
        "SELECT uuid, event, timestamp, distinct_id, properties FROM events "
        "ORDER BY uuid LIMIT 5000"
    )
    a = EventStore.demo(seed=11, persons=50, events=3_000, now=NOW)
    b = EventStore.demo(seed=11, persons=50, events=3_000, now=NOW)
    c = EventStore.demo(seed=12, persons=50, events=3_000, now=NOW)
    try:
        assert _rows(a, sql) == _rows(b, sql)
        assert a.list_persons(limit=50) == b.list_persons(limit=50)
        assert _rows(a, sql) != _rows(c, sql)
    finally:
        for s in (a, b, c):
            s.close()


def test_events_span_the_last_90_days(store: EventStore) -> None:
    [[first, last]] = _rows(store, "SELECT min(timestamp), max(timestamp) FROM events")
    assert "2024-10-03T00:00:00Z" <= first < last < "2025-01-01T00:00:00Z"


def test_equal_timestamps_exist(store: EventStore) -> None:
    [[shared]] = _rows(
        store,
        "SELECT count() FROM (SELECT timestamp FROM events GROUP BY timestamp HAVING count() > 1)",
    )
    assert shared > 10


def test_realistic_events_and_properties(store: EventStore) -> None:
    names = {r[0] for r in _rows(store, "SELECT DISTINCT event FROM events")}
    assert {
        "$pageview",
        "$pageleave",
        "$autocapture",
        "$identify",
        "signed_up",
        "purchase",
    } <= names
    [[purchases, with_revenue, total]] = _rows(
        store,
        "SELECT count(), countIf(toFloat(properties.revenue) > 0), "
        "sum(toFloat(properties.revenue)) "
        "FROM events WHERE event = 'purchase'",
    )
    assert purchases > 0 and with_revenue == purchases and total > 0
    [[browsers, paths, sessions, multi]] = _rows(
        store,
        "SELECT uniq(properties.$browser), uniq(properties.$pathname), uniq($session_id), "
        "(SELECT countIf(c > 3) FROM "
        "(SELECT $session_id, count() c FROM events GROUP BY $session_id)) "
        "FROM events",
    )
    assert browsers >= 4 and paths >= 8 and sessions > 100 and multi > 100
    [[url, plan, os]] = _rows(
        store, "SELECT properties.$current_url, properties.plan, properties.$os FROM events LIMIT 1"
    )
    assert url.startswith("https://") and plan in ("free", "pro", "enterprise") and os


def test_every_event_belongs_to_a_person_with_its_distinct_id(store: EventStore) -> None:
    [[orphans]] = _rows(
        store,
        "SELECT count() FROM events e "
        "LEFT JOIN person_distinct_ids d ON d.distinct_id = e.distinct_id "
        "WHERE d.person_id != e.person_id",
    )
    assert orphans == 0


def test_list_persons_newest_first_with_rest_shape(store: EventStore) -> None:
    page = store.list_persons(limit=20)
    assert len(page) == 20
    created = [p["created_at"] for p in page]
    assert created == sorted(created, reverse=True)
    first = page[0]
    assert first["type"] == "person" and first["id"] == first["uuid"]
    assert first["created_at"].endswith("Z") and isinstance(first["distinct_ids"], list)
    assert set(first) >= {"properties", "is_identified", "name", "last_seen_at"}


def test_list_persons_pages_do_not_overlap(store: EventStore) -> None:
    ids = [
        p["id"] for offset in (0, 50, 100, 150) for p in store.list_persons(limit=50, offset=offset)
    ]
    assert len(ids) == len(set(ids)) == 200


def test_list_persons_filters(store: EventStore) -> None:
    identified = next(p for p in store.list_persons(limit=200) if "email" in p["properties"])
    email = identified["properties"]["email"]
    assert [p["id"] for p in store.list_persons(email=email)] == [identified["id"]]
    assert [p["id"] for p in store.list_persons(search=email.split("@")[0].upper())] == [
        identified["id"]
    ]
    other_did = identified["distinct_ids"][-1]
    assert [p["id"] for p in store.list_persons(distinct_id=other_did)] == [identified["id"]]
    assert [p["id"] for p in store.list_persons(search=other_did)] == [identified["id"]]
    assert identified["name"] == email
    assert identified["distinct_ids"][0].count("-") != 4  # named ids come before anonymous
    assert store.list_persons(email="nobody@nowhere.test") == []


def test_get_person_by_pk_or_uuid(store: EventStore) -> None:
    listed = store.list_persons(limit=1)[0]
    by_uuid = store.get_person(listed["uuid"])
    assert by_uuid is not None and isinstance(by_uuid["id"], int)
    assert store.get_person(str(by_uuid["id"])) == by_uuid
    assert by_uuid["uuid"] == listed["uuid"] and by_uuid["distinct_ids"] == listed["distinct_ids"]
    assert store.get_person("999999") is None
    assert store.get_person("not-a-person") is None


def test_update_and_delete_person(fresh: EventStore) -> None:
    person = fresh.list_persons(limit=1)[0]
    assert fresh.update_person_properties(person["uuid"], {"plan": "gold", "new": 1})
    updated = fresh.get_person(person["uuid"])
    assert updated is not None
    assert updated["properties"]["plan"] == "gold" and updated["properties"]["new"] == 1
    assert set(person["properties"]) - {"plan"} <= set(updated["properties"])
    rows = fresh.run_hogql(
        "SELECT properties.plan FROM persons WHERE id = {id}",
        {"id": person["uuid"]},
        system_tables={},
    )["results"]
    assert rows == [["gold"]]
    assert fresh.delete_person(str(updated["id"]))
    assert fresh.get_person(person["uuid"]) is None
    assert person["uuid"] not in {p["id"] for p in fresh.list_persons(limit=100)}
    assert not fresh.delete_person(person["uuid"])
    assert not fresh.update_person_properties("123456", {"a": 1})


def test_list_events_newest_first_and_filters(store: EventStore) -> None:
    page = store.list_events(limit=50)
    assert len(page) == 50
    stamps = [e["timestamp"] for e in page]
    assert stamps == sorted(stamps, reverse=True) and stamps[0].endswith("+00:00")
    assert set(page[0]) == {
        "id", "distinct_id", "properties", "event", "timestamp", "person", "elements",
        "elements_chain",
    }  # fmt: skip
    assert all(e["event"] == "purchase" for e in store.list_events(event="purchase", limit=20))
    did = page[0]["distinct_id"]
    assert all(e["distinct_id"] == did for e in store.list_events(distinct_id=did, limit=20))
    ascending = store.list_events(limit=5, ascending=True)
    assert [e["timestamp"] for e in ascending] == sorted(e["timestamp"] for e in ascending)


def test_list_events_by_person(store: EventStore) -> None:
    person = store.list_persons(limit=200)[5]
    events = store.list_events(person_id=person["uuid"], limit=1000)
    dids = set(person["distinct_ids"])
    assert events and all(e["distinct_id"] in dids for e in events)
    full = store.get_person(person["uuid"])
    assert full is not None
    assert store.list_events(person_id=str(full["id"]), limit=1000) == events


def test_paging_by_before_never_repeats_and_goes_back_in_time(store: EventStore) -> None:
    seen: list[str] = []
    before = None
    last_stamp = None
    for _ in range(30):
        page = store.list_events(before=before, limit=100)
        if not page:
            break
        if last_stamp is not None:
            assert page[0]["timestamp"] < last_stamp
        seen.extend(e["id"] for e in page)
        last_stamp = page[-1]["timestamp"]
        before = last_stamp
    assert len(seen) == len(set(seen)) == 3000


def test_after_and_before_bounds_are_exclusive(store: EventStore) -> None:
    page = store.list_events(limit=3)
    middle = page[1]["timestamp"]
    assert all(e["timestamp"] < middle for e in store.list_events(before=middle, limit=10))
    assert all(e["timestamp"] > middle for e in store.list_events(after=middle, limit=10))
    assert store.list_events(after="-3650d", before=middle, limit=5)
    with pytest.raises(ValueError):
        store.list_events(before="yesterday-ish")


def test_get_event(store: EventStore) -> None:
    listed = store.list_events(limit=1)[0]
    got = store.get_event(listed["id"])
    assert got is not None and got["id"] == listed["id"] and got["event"] == listed["event"]
    assert got["person"] is not None and got["person"]["distinct_ids"] == [listed["distinct_id"]]
    assert store.get_event("00000000-0000-0000-0000-000000000000") is None
    assert store.get_event("nope") is None


def test_add_persons_and_events_append() -> None:
    s = EventStore()
    try:
        assert s.person_count() == 0 and s.event_count() == 0
        s.add_persons(
            [{"distinct_ids": ["alice"], "properties": {"email": "a@x.io"}, "is_identified": True}]
        )
        hostile = "it's \\ {x} `y` -- z\n/* w */"
        s.add_events(
            [
                {"event": "signed_up", "distinct_id": "alice", "properties": {"note": hostile},
                 "timestamp": "2024-06-01T10:00:00Z"},
                {"event": "$pageview", "distinct_id": "bob", "timestamp": "2024-06-01T10:00:00Z"},
            ]
        )  # fmt: skip
        assert s.event_count() == 2 and s.person_count() == 2  # bob got an anonymous person
        rows = s.run_hogql(
            "SELECT event, properties.note, person.properties.email, timestamp FROM events "
            "ORDER BY event",
            None,
            system_tables={},
        )["results"]
        assert rows == [
            ["$pageview", None, None, "2024-06-01T10:00:00Z"],
            ["signed_up", hostile.replace("\\", "\\\\").replace("\n", "\\n"), "a@x.io",
             "2024-06-01T10:00:00Z"],
        ]  # fmt: skip
        alice = s.list_persons(distinct_id="alice")[0]
        assert alice["last_seen_at"] == "2024-06-01T10:00:00Z"
        event = s.list_events(distinct_id="alice")[0]
        assert event["properties"]["note"] == hostile
    finally:
        s.close()


def test_raw_rows_are_the_stored_rows_and_name_the_tables_they_know(store: EventStore) -> None:
    events = list(store.raw_rows("events"))
    assert len(events) == store.event_count()
    assert len({e["uuid"] for e in events}) == len(events)
    assert len(list(store.raw_rows("persons"))) == store.person_count()
    with pytest.raises(ValueError, match="unknown table 'persons_raw'; choose from"):
        list(store.raw_rows("persons_raw"))

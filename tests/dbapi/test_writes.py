"""INSERT, UPDATE and DELETE round trips, validation before any request, and partial writes."""

from __future__ import annotations

from typing import Any

import pytest

import posthog_dbapi.dbapi as dbapi
from posthog_dbapi.exceptions import PartialWriteError


def _ids(raw: Any, table: str) -> set[Any]:
    return {r["id"] for r in raw(table)}


def test_insert_sets_lastrowid_and_rowcount(conn: Any, raw: Any) -> None:
    cur = conn.cursor()
    cur.execute("INSERT INTO dashboards (name, description) VALUES (?, ?)", ("corpus", "made"))
    assert cur.rowcount == 1
    created = conn.driver.retrieve("dashboards", cur.lastrowid)
    assert created["name"] == "corpus"
    assert created["description"] == "made"
    assert cur.lastrowid in _ids(raw, "dashboards")


def test_multi_row_insert_is_one_post_per_row(
    conn: Any, emulator: Any, api_requests: Any, raw: Any
) -> None:
    before = _ids(raw, "dashboards")
    emulator.app.request_log.clear()
    cur = conn.cursor()
    cur.execute("INSERT INTO dashboards (name) VALUES ('a1'), ('a2'), ('a3')")
    assert cur.rowcount == 3
    posts = [r for r in api_requests() if r.method == "POST"]
    assert len(posts) == 3
    names = {r["id"]: r["name"] for r in raw("dashboards")}
    new = set(names) - before
    assert sorted(names[i] for i in new) == ["a1", "a2", "a3"]
    assert cur.lastrowid in new


def test_executemany_inserts_every_row(conn: Any, raw: Any) -> None:
    cur = conn.cursor()
    cur.executemany("INSERT INTO dashboards (name) VALUES (?)", [("m1",), ("m2",)])
    assert cur.rowcount == 2
    assert {"m1", "m2"} <= {r["name"] for r in raw("dashboards")}


def test_update_patches_only_changed_columns(
    conn: Any, emulator: Any, api_requests: Any, raw: Any
) -> None:
    target = sorted(raw("dashboards"), key=lambda r: r["id"])[0]
    cur = conn.cursor()
    emulator.app.request_log.clear()
    cur.execute(
        "UPDATE dashboards SET description = ?, name = name WHERE id = ?",
        ("changed by sql", target["id"]),
    )
    assert cur.rowcount == 1
    patches = [r for r in api_requests() if r.method == "PATCH"]
    assert len(patches) == 1
    after = conn.driver.retrieve("dashboards", target["id"])
    assert after["description"] == "changed by sql"
    assert after["name"] == target["name"]


def test_update_with_where_changes_the_matching_rows(conn: Any, raw: Any) -> None:
    cur = conn.cursor()
    cur.execute("INSERT INTO dashboards (name) VALUES ('upd-1'), ('upd-2')")
    cur.execute("UPDATE dashboards SET pinned = 1 WHERE name LIKE 'upd-%'")
    assert cur.rowcount == 2
    assert all(r["pinned"] for r in raw("dashboards") if r["name"].startswith("upd-"))


def test_delete_removes_rows(conn: Any, raw: Any) -> None:
    cur = conn.cursor()
    cur.execute("INSERT INTO dashboards (name) VALUES ('gone')")
    created = cur.lastrowid
    cur.execute("DELETE FROM dashboards WHERE id = ?", (created,))
    assert cur.rowcount == 1
    assert created not in _ids(raw, "dashboards")
    assert cur.execute("SELECT count(*) FROM dashboards WHERE id = ?", (created,)).fetchone() == (
        0,
    )


def test_hard_delete_with_where(conn: Any, raw: Any) -> None:
    cur = conn.cursor()
    before = _ids(raw, "surveys")
    assert len(before) > 0, "the demo data always holds surveys"
    target = sorted(before, key=str)[0]
    cur.execute("DELETE FROM surveys WHERE id = ?", (target,))
    assert cur.rowcount == 1
    assert _ids(raw, "surveys") == before - {target}


@pytest.mark.parametrize(
    ("sql", "params", "error"),
    [
        ("INSERT INTO dashboards (id, name) VALUES (1, 'x')", (), dbapi.ProgrammingError),
        ("INSERT INTO dashboards (nope) VALUES (1)", (), dbapi.ProgrammingError),
        ("INSERT INTO dashboards (name, pinned) VALUES ('x', 'yes')", (), dbapi.DataError),
        ("INSERT INTO dashboards (name) VALUES (?)", (5,), dbapi.DataError),
        ("INSERT INTO dashboards (name) VALUES ('ok'), (7)", (), dbapi.DataError),
        (
            "UPDATE dashboards SET created_at = '2024-01-01' WHERE id = 1",
            (),
            dbapi.ProgrammingError,
        ),
        ("UPDATE dashboards SET tags = 'not json' WHERE id = 1", (), dbapi.DataError),
        ("INSERT INTO events (event) VALUES ('x')", (), dbapi.NotSupportedError),
        ("UPDATE events SET event = 'x'", (), dbapi.NotSupportedError),
        ("DELETE FROM events", (), dbapi.NotSupportedError),
    ],
)
def test_bad_writes_are_refused_before_any_request(
    conn: Any,
    emulator: Any,
    api_requests: Any,
    sql: str,
    params: tuple[Any, ...],
    error: type[dbapi.Error],
) -> None:
    conn.cursor().execute("SELECT * FROM dashboards WHERE 1 = 0").fetchall()
    conn.cursor().execute("SELECT * FROM events WHERE 1 = 0").fetchall()
    emulator.app.request_log.clear()
    with pytest.raises(error) as info:
        conn.cursor().execute(sql, params)
    assert info.value.message
    assert info.value.details.get("suggestion")
    assert api_requests() == []


def test_events_insert_says_what_posthog_offers(conn: Any) -> None:
    with pytest.raises(dbapi.NotSupportedError) as info:
        conn.cursor().execute("INSERT INTO events (event) VALUES ('x')")
    assert "capture" in str(info.value)


def test_insert_that_fails_half_way_lists_the_applied_rows(
    conn: Any, emulator: Any, api_requests: Any, raw: Any
) -> None:
    emulator.app.faults.add("500", path="dashboards", method="POST", after=1)
    cur = conn.cursor()
    with pytest.raises(PartialWriteError) as info:
        cur.execute("INSERT INTO dashboards (name) VALUES ('p1'), ('p2'), ('p3')")
    applied = info.value.details["applied"]
    assert len(applied) == 1
    names = {r["id"]: r["name"] for r in raw("dashboards")}
    assert names[applied[0]] == "p1"
    assert "p2" not in names.values()
    assert isinstance(info.value, dbapi.OperationalError)


def test_executemany_that_fails_half_way_lists_the_applied_rows(
    conn: Any, emulator: Any, api_requests: Any, raw: Any
) -> None:
    emulator.app.faults.add("500", path="dashboards", method="POST", after=2)
    with pytest.raises(PartialWriteError) as info:
        conn.cursor().executemany(
            "INSERT INTO dashboards (name) VALUES (?)", [("e1",), ("e2",), ("e3",)]
        )
    applied = info.value.details["applied"]
    assert len(applied) == 2
    names = {r["id"]: r["name"] for r in raw("dashboards")}
    assert sorted(names[i] for i in applied) == ["e1", "e2"]


def test_executemany_names_the_row_that_may_have_been_written(
    conn: Any, emulator: Any, raw: Any
) -> None:
    # The third POST is applied by the server, then answered with a 500: the client cannot know.
    emulator.app.faults.add("applied_500", path="dashboards", method="POST", after=2, times=1)
    with pytest.raises(PartialWriteError) as info:
        conn.cursor().executemany(
            "INSERT INTO dashboards (name) VALUES (?)", [("u1",), ("u2",), ("u3",), ("u4",)]
        )
    details = info.value.details
    names = {r["id"]: r["name"] for r in raw("dashboards")}
    assert sorted(names[i] for i in details["applied"]) == ["u1", "u2"]
    assert details["uncertain"]["name"] == "u3"
    assert "u3" in names.values() and "u4" not in names.values()
    assert "uncertain" in details["suggestion"]


def test_unknown_table_lists_tables_with_did_you_mean(conn: Any) -> None:
    with pytest.raises(dbapi.ProgrammingError) as info:
        conn.cursor().execute("SELECT * FROM dashbaords")
    assert "dashboards" in info.value.suggestion
    assert "feature_flags" in info.value.suggestion


def test_sql_errors_are_programming_errors_with_sqlites_message(conn: Any) -> None:
    with pytest.raises(dbapi.ProgrammingError) as info:
        conn.cursor().execute("SELECT nope FROM dashboards")
    assert "no such column: nope" in str(info.value)
    with pytest.raises(dbapi.ProgrammingError):
        conn.cursor().execute("SELEC 1")


def test_api_failures_keep_the_drivers_classes(conn: Any, emulator: Any, api_requests: Any) -> None:
    conn.cursor().execute("SELECT * FROM cohorts WHERE 1 = 0").fetchall()
    emulator.app.faults.add("503", path="cohorts")
    with pytest.raises(dbapi.OperationalError) as info:
        conn.cursor().execute("SELECT * FROM cohorts").fetchall()
    assert type(info.value).__module__ == "posthog_dbapi.exceptions"

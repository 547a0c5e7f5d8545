"""What reaches the API: the requests of pushed-down statements, counted in the emulator's log."""

from __future__ import annotations

from typing import Any


def _warm(conn: Any, table: str) -> None:
    """Create the table (and fetch the schema) once, so the counts below are the statement's."""
    conn.cursor().execute(f"SELECT * FROM {table} WHERE 1 = 0").fetchall()


def test_select_by_id_is_one_request(conn: Any, emulator: Any, api_requests: Any, raw: Any) -> None:
    _warm(conn, "dashboards")
    wanted = sorted(r["id"] for r in raw("dashboards"))[0]
    emulator.app.request_log.clear()
    cur = conn.cursor()
    cur.execute("SELECT * FROM dashboards WHERE id = ?", (wanted,))
    rows = cur.fetchall()
    assert [r[0] for r in rows] == [wanted]
    requests = api_requests()
    assert len(requests) == 1
    assert requests[0].path.rstrip("/").endswith(f"/dashboards/{wanted}")


def test_select_by_missing_id_is_one_request_and_no_rows(
    conn: Any, emulator: Any, api_requests: Any
) -> None:
    _warm(conn, "dashboards")
    emulator.app.request_log.clear()
    assert conn.cursor().execute("SELECT * FROM dashboards WHERE id = 987654").fetchall() == []
    assert len(api_requests()) == 1


def test_limit_is_one_page(conn: Any, emulator: Any, api_requests: Any, raw: Any) -> None:
    _warm(conn, "feature_flags")
    count = len(raw("feature_flags"))
    emulator.app.request_log.clear()
    rows = conn.cursor().execute("SELECT name FROM feature_flags LIMIT 3").fetchall()
    assert len(rows) == min(3, count)
    requests = api_requests()
    assert len(requests) == 1
    assert requests[0].query.get("limit") == ["3"]


def test_first_rows_of_a_large_table_cost_one_page(
    conn: Any, emulator: Any, api_requests: Any
) -> None:
    _warm(conn, "persons")
    emulator.app.request_log.clear()
    cur = conn.cursor()
    cur.execute("SELECT id, properties FROM persons")
    assert len(cur.fetchmany(5)) == 5
    assert len(api_requests()) == 1


def test_exact_list_filter_is_a_query_parameter(
    conn: Any, emulator: Any, api_requests: Any, raw: Any
) -> None:
    _warm(conn, "feature_flags")
    expected = sorted(r["id"] for r in raw("feature_flags") if r.get("active") is True)
    emulator.app.request_log.clear()
    rows = conn.cursor().execute("SELECT id FROM feature_flags WHERE active = 1").fetchall()
    assert sorted(r[0] for r in rows) == expected
    requests = [r for r in api_requests() if "feature_flags" in r.path]
    assert requests and all(r.query.get("active") == ["true"] for r in requests)


def test_join_does_not_refetch_the_inner_table_per_outer_row(
    conn: Any, emulator: Any, api_requests: Any, raw: Any
) -> None:
    _warm(conn, "insights")
    _warm(conn, "dashboards")
    emulator.app.request_log.clear()
    cur = conn.cursor()
    cur.execute(
        "SELECT i.id, d.id FROM insights i, json_each(i.dashboards) j "
        "JOIN dashboards d ON d.id = j.value"
    )
    cur.fetchall()
    dashboards = [r for r in api_requests() if "/dashboards" in r.path]
    outer_rows = len(raw("insights"))
    # at most a couple of single lookups, then one list read (one page of the demo data)
    assert len(dashboards) <= 3
    assert outer_rows > 3


def test_requests_never_carry_the_key_in_the_url(
    conn: Any, emulator: Any, api_requests: Any
) -> None:
    conn.cursor().execute("SELECT id FROM dashboards LIMIT 1").fetchall()
    for record in emulator.app.request_log:
        assert emulator.api_key not in record.path
        assert emulator.api_key not in str(record.query)


def test_uuid_keyed_lookup_is_one_request(
    conn: Any, emulator: Any, api_requests: Any, raw: Any
) -> None:
    _warm(conn, "persons")
    person = raw("persons")[0]
    emulator.app.request_log.clear()
    rows = (
        conn.cursor()
        .execute(
            "SELECT id, json_extract(properties, '$.email') FROM persons WHERE id = ?",
            (person["id"],),
        )
        .fetchall()
    )
    assert rows == [(person["id"], (person.get("properties") or {}).get("email"))]
    assert len(api_requests()) == 1

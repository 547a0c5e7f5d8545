"""group_concat, text functions of properties, printf, strftime('%J'), ORDER BY random() and
constant rows in compound SELECTs, pushed down (`sql/pushdown_text.py`).

Every statement runs on both routes of a real connection over the awkward property values of
`test_property_numbers` (integers, fractions, huge numbers, numeric and other strings, booleans,
JSON null, objects, arrays, a missing key): the same rows with the same Python types, one Query
API request each. group_concat's order is SQLite's row order, which SQLite leaves undefined for a
virtual table, so its parts are compared as multisets.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

import posthog_dbapi
from posthog_dbapi.sql import pushdown_planner
from posthog_dbapi.sql.pushdown_planner import Fallback, PushdownPlan, plan
from posthog_emulator import EmulatorServer

from .both_routes import rows_on_both_routes
from .test_property_numbers import numbers_server  # noqa: F401 (the fixture, shared)

P = "json_extract(properties, '$.v')"
SEP = " ~ "

# (statement, {column: the separator its group_concat joins with})
CONCATS: list[tuple[str, dict[int, str]]] = [
    (f"SELECT distinct_id, group_concat({P}, '{SEP}') FROM events GROUP BY distinct_id",
     {1: SEP}),
    (f"SELECT group_concat(DISTINCT {P}), count(*) FROM events", {0: ","}),
    (f"SELECT json_extract(properties, '$.g') AS g, group_concat(distinct_id, '{SEP}'), "
     f"group_concat(DISTINCT distinct_id), group_concat(event, NULL) FROM events "
     "WHERE event = 'e' GROUP BY g", {1: SEP, 2: ",", 3: ""}),
    ("SELECT group_concat(event), group_concat(json_extract(properties, '$.nothing')) "
     "FROM events", {0: ","}),
    ("SELECT group_concat(distinct_id) FROM events WHERE event = 'nothing'", {}),
    (f"SELECT group_concat(timestamp, '{SEP}') FROM events WHERE {P} = 'abc'", {0: SEP}),
]  # fmt: skip


def _parts(value: Any, sep: str) -> Any:
    if value is None:
        return None
    return Counter(value) if sep == "" else Counter(value.split(sep))


def _as_multisets(rows: list[Any], columns: dict[int, str]) -> list[Any]:
    out = []
    for row in rows:
        cells = list(row)
        for at, sep in columns.items():
            cells[at] = _parts(cells[at], sep)
        out.append(cells)
    return sorted(out, key=repr)


@pytest.mark.parametrize("sql,columns", CONCATS, ids=[s[:60] for s, _ in CONCATS])
def test_group_concat_gives_sqlites_parts_in_one_request(
    sql: str,
    columns: dict[int, str],
    numbers_server: EmulatorServer,  # noqa: F811
) -> None:
    assert isinstance(plan(sql, []), PushdownPlan)
    pushed, local = rows_on_both_routes(numbers_server, sql)
    assert [tuple(map(type, r)) for r in sorted(pushed, key=repr)] == [
        tuple(map(type, r)) for r in sorted(local, key=repr)
    ]
    assert _as_multisets(pushed, columns) == _as_multisets(local, columns)
    assert local


TEXTS = [
    # Text functions of a property of every kind: SQLite prints REALs its own way.
    f"SELECT uuid, lower({P}), upper({P}), length({P}), trim({P}), ltrim({P}), "
    f"substr({P}, 2, 3), replace({P}, '1', 'x'), {P} || '-' || distinct_id FROM events",
    f"SELECT uuid, printf('%.2f|%d|%s|%5.1e|%05d', {P}, {P}, {P}, {P}, {P}), "
    f"format('%x', json_extract(properties, '$.w')), typeof(upper({P})) FROM events",
    "SELECT uuid, strftime('%J', timestamp), strftime('%s %f %j', timestamp, '+1 day') "
    "FROM events WHERE json_extract(properties, '$.g') = 'g1'",
    # Forms HogQL has no exact function for, over columns: the stored timestamp's whole text.
    "SELECT uuid, timestamp || '', substr(timestamp, 12), substr(timestamp, 1, 20), "
    "trim(distinct_id, 'd'), nullif(timestamp, '2024-01-01') FROM events",
]


@pytest.mark.parametrize("sql", TEXTS, ids=[s[:60] for s in TEXTS])
def test_a_text_sqlite_formats_is_finished_by_the_client(
    sql: str,
    numbers_server: EmulatorServer,  # noqa: F811
) -> None:
    assert isinstance(plan(sql, []), PushdownPlan)
    pushed, local = rows_on_both_routes(numbers_server, sql)
    pushed, local = sorted(pushed, key=repr), sorted(local, key=repr)
    assert pushed == local
    assert [tuple(map(type, r)) for r in pushed] == [tuple(map(type, r)) for r in local]
    assert len(local) > 50


def test_the_edge_values_print_as_sqlite_prints_reals(
    numbers_server: EmulatorServer,  # noqa: F811
) -> None:
    # Without REALs whose SQLite text is not the stored JSON, the comparisons above prove little.
    pushed, _ = rows_on_both_routes(numbers_server, f"SELECT upper({P}) FROM events")
    texts = {v for (v,) in pushed}
    assert {"1.0E+21", "1.2345678901234567E+19", "-2.5"} <= texts


GROUPED = [
    # Grouped by what the key reads, merged by the key SQLite prints (`Regroup`).
    f"SELECT lower({P}) AS b, count(*) FROM events GROUP BY b",
    f"SELECT length({P}) AS b, count(*) AS n, min(distinct_id), max(distinct_id) FROM events "
    "GROUP BY b ORDER BY n DESC, b LIMIT 5",
    f"SELECT distinct_id, upper(json_extract(properties, '$.g')), count({P}) FROM events "
    "GROUP BY 1, 2 ORDER BY 2, 1",
    f"SELECT substr({P}, 1, 1) AS s, count(*) FROM events WHERE event = 'e' GROUP BY s "
    "ORDER BY s DESC",
    f"SELECT typeof({P}) AS t, lower({P}), count(*) FROM events GROUP BY 1, 2 "
    "ORDER BY 1 NULLS LAST, 3 DESC NULLS FIRST, 2 LIMIT 9 OFFSET 2",
]


@pytest.mark.parametrize("sql", GROUPED, ids=[s[:60] for s in GROUPED])
def test_a_group_by_a_text_sqlite_formats_is_merged_by_the_client(
    sql: str,
    numbers_server: EmulatorServer,  # noqa: F811
) -> None:
    assert isinstance(plan(sql, []), PushdownPlan)
    pushed, local = rows_on_both_routes(numbers_server, sql)
    if "ORDER BY" not in sql:
        pushed, local = sorted(pushed, key=repr), sorted(local, key=repr)
    assert pushed == local
    assert [tuple(map(type, r)) for r in pushed] == [tuple(map(type, r)) for r in local]
    assert len(local) > 3


def test_more_groups_than_one_answer_holds_are_paged_then_merged(
    monkeypatch: pytest.MonkeyPatch,
    numbers_server: EmulatorServer,  # noqa: F811
) -> None:
    sql = f"SELECT lower({P}) AS b, count(*) FROM events GROUP BY b"
    answers = {}
    for mode in ("auto", "off"):
        if mode == "auto":
            # About five pages of HogQL's finer groups, as 50,000-row pages of a bigger answer.
            monkeypatch.setattr(pushdown_planner, "MAX_ROWS_PER_QUERY", 6)
        with posthog_dbapi.connect(numbers_server.url, numbers_server.api_key, 1, pushdown=mode,
                                   query_cache_ttl=0) as conn:  # fmt: skip
            cursor = conn.cursor().execute(sql)
            answers[mode] = sorted(cursor.fetchall(), key=repr)
            assert cursor.route == ("hogql" if mode == "auto" else "sqlite")
            assert len(cursor.queries) >= (5 if mode == "auto" else 1)
        monkeypatch.undo()
    assert answers["auto"] == answers["off"]


def test_a_timestamps_text_is_the_stored_text_in_either_zone(
    zone: tuple[EmulatorServer, str],
) -> None:
    # On a timezone="project" connection the stored text is the project's wall-clock time.
    server, timezone = zone
    sql = "SELECT uuid, timestamp || '', strftime('%J', timestamp) FROM events ORDER BY uuid "
    pushed, local = rows_on_both_routes(server, sql + "LIMIT 500", timezone=timezone)
    assert pushed == local and len(pushed) == 500


def test_order_by_random_is_one_request(numbers_server: EmulatorServer) -> None:  # noqa: F811
    sql = (
        "SELECT distinct_id, json_extract(properties, '$.g') FROM events ORDER BY random() LIMIT 5"
    )
    pushed, local = rows_on_both_routes(numbers_server, sql)
    everything, _ = rows_on_both_routes(
        numbers_server, "SELECT distinct_id, json_extract(properties, '$.g') FROM events"
    )
    assert len(pushed) == len(local) == 5
    assert set(pushed) <= set(everything)


def test_a_constant_row_joins_a_compound_select(numbers_server: EmulatorServer) -> None:  # noqa: F811
    sql = ("SELECT 'all' AS d, 1 AS n UNION ALL SELECT distinct_id, count(*) FROM events "
           "GROUP BY distinct_id ORDER BY d")  # fmt: skip
    pushed, local = rows_on_both_routes(numbers_server, sql)
    assert pushed == local
    assert local[0] == ("all", 1)


@pytest.mark.parametrize("sql", [
    # A value SQLite formats, used where HogQL must hold it: kept in SQLite.
    f"SELECT lower({P}) AS b, avg(json_extract(properties, '$.w')) FROM events GROUP BY b",
    f"SELECT lower({P}) AS b, count(*) FROM events GROUP BY b HAVING count(*) > 1",
    f"SELECT lower({P}) AS b FROM events ORDER BY b",
    f"SELECT DISTINCT upper({P}) FROM events",
    f"SELECT count(*) FROM events WHERE length({P}) > 3",
    f"SELECT group_concat({P}) || 'x' FROM events",
    "SELECT instr(event, 'e', 2) FROM events",  # SQLite refuses it: its error says so
    "SELECT 'a'",
    "SELECT printf('%.3f', julianday('now') - julianday(timestamp)) FROM events",
    "SELECT random() FROM events",
])  # fmt: skip
def test_what_cannot_be_exact_stays_in_sqlite(sql: str) -> None:
    assert isinstance(plan(sql, []), Fallback)

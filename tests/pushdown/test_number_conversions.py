"""Conversions to numbers pushed down with SQLite's rules (`sql/pushdown_numconv`,
`sql/pushdown_numagg`): CAST of text and properties AS INTEGER/REAL, ``strftime`` digits in
arithmetic, ``%``, ``typeof()`` and ``abs()`` of a property, aggregates of arithmetic.

Every statement runs on both routes (pushed down, and ``pushdown="off"`` in the connection's own
SQLite), one Query API request each, and must give the same rows with the same Python types,
over `test_property_numbers`' events whose property holds every kind of JSON value.
"""

from __future__ import annotations

import pytest

from posthog_dbapi.sql.pushdown_planner import PushdownPlan, plan
from posthog_emulator import EmulatorServer

from .both_routes import rows_on_both_routes
from .test_property_numbers import N, P, Q, _same, agrees_over_the_demo, numbers_server

__all__ = ["numbers_server"]

STATEMENTS = [
    # % converts each side by CAST's rule: INTEGER if both are INTEGERs, else REAL; % 0 NULL.
    f"SELECT uuid, {P} % 3, {P} % {Q}, {Q} % {P}, 7 % {Q}, {P} % 2.5, {P} % -1, {P} % 0 "
    "FROM events",
    f"SELECT uuid, CAST({P} AS INTEGER), CAST({P} AS REAL), typeof({P}), abs({P}), "
    f"typeof({P} * {Q}), CAST({P} * 2 AS INTEGER), CAST({P} / 3 AS REAL) FROM events",
    f"SELECT CAST({P} AS INTEGER) AS i, count(*) FROM events GROUP BY i",
    f"SELECT typeof({P}) AS t, count(*), sum(CAST({P} AS INTEGER) % 5) FROM events GROUP BY t",
    f"SELECT sum({P} * 2), total({P} + 1), avg({P} / 4.0), min({P} - 1), max({P} * {Q}), "
    f"count({P} % 3), sum({P} % 3), sum(abs({P})), total(abs({P})) FROM events",
    f"SELECT sum({P} * 2), avg({P} + 1), total({P} - 1), min({P} % 3), max(abs({P})), "
    "count(strftime('%s', timestamp) % 1000) FROM events WHERE event = 'nothing'",
    f"SELECT json_extract(properties, '$.g') AS g, sum({N} * 2), avg({N} + 1), min({N} / 2), "
    f"max(abs({N})) FROM events GROUP BY g HAVING sum({N} * 2) > 10",
    f"SELECT uuid FROM events WHERE {P} % 4 = 1 OR CAST({P} AS INTEGER) > 100 OR abs({P}) = 2.5",
    # coalesce(property, number) reads a missing or null property as the number.
    f"SELECT sum(coalesce({P}, 0)), avg(coalesce({P}, 0)), total(coalesce({P}, 1.5)), "
    f"min(coalesce({P}, -100)), max(coalesce({Q}, 99)), sum(coalesce({Q}, 0) * 2) FROM events",
    f"SELECT uuid, coalesce({P}, 0) * 2, coalesce({Q}, 0.5) + 1, coalesce({P}, 7) FROM events "
    f"WHERE coalesce({Q}, 0) < 3",
    # Text: strftime's digits are INTEGERs; other text reads by its numeric prefix.
    "SELECT strftime('%M', timestamp) / 6 AS q, strftime('%S', timestamp) % 7 AS m, count(*) "
    "FROM events GROUP BY q, m",
    "SELECT CAST(strftime('%Y', timestamp) AS INTEGER) AS y, "
    "CAST(strftime('%Y-%m', timestamp) AS INTEGER) AS ym, count(*) FROM events GROUP BY y, ym",
    "SELECT uuid, CAST(strftime('%Y%m', timestamp) AS INTEGER) + 1, strftime('%S', timestamp) "
    "* 1.5, CAST(strftime('%S', timestamp) AS REAL), strftime('%W', timestamp) + 0 FROM events",
    "SELECT uuid, CAST(distinct_id AS INTEGER), substr(distinct_id, 2) * 2, "
    "CAST(substr(distinct_id, 2) AS REAL), substr(distinct_id, 2) % 3, "
    "CAST(json_extract(properties, '$.g') AS REAL) FROM events",
    "SELECT CAST(substr(distinct_id, 2) AS INTEGER) AS d, count(*) FROM events "
    "WHERE substr(distinct_id, 2) + 0 < 3 GROUP BY d",
]


@pytest.mark.parametrize("sql", STATEMENTS, ids=[s[:70] for s in STATEMENTS])
def test_conversions_to_numbers_give_sqlites_rows_and_types_in_one_request(
    sql: str, numbers_server: EmulatorServer
) -> None:
    chosen = plan(sql, [])
    assert isinstance(chosen, PushdownPlan), chosen.reason
    pushed, local = rows_on_both_routes(numbers_server, sql)
    _same(sorted(pushed, key=repr), sorted(local, key=repr))
    assert local


def test_the_remainders_mix_integers_reals_and_nulls(numbers_server: EmulatorServer) -> None:
    # The comparison above proves little unless SQLite's answers mix the three.
    pushed, _ = rows_on_both_routes(numbers_server, f"SELECT {P} % {Q} FROM events")
    assert {type(v).__name__ for (v,) in pushed} == {"int", "float", "NoneType"}


@pytest.mark.parametrize(
    "sql",
    [
        f"SELECT {P} % 3 AS m, count(*) FROM events GROUP BY m",
        f"SELECT DISTINCT abs({P}) FROM events",
    ],
)
def test_a_value_both_integer_and_real_stays_local_when_grouped(sql: str) -> None:
    # SQLite groups 1 with 1.0 and keeps whichever row came first.
    assert not isinstance(plan(sql, []), PushdownPlan)


R = "json_extract(properties, '$.revenue')"
DEMO = [
    f"SELECT uuid, {R} % 3, {R} % 0.5 FROM events ORDER BY uuid LIMIT 50",
    f"SELECT sum({R} * 2), avg({R} + 1), total({R} / 100.0), min({R} * {R}), max({R} + 1) "
    "FROM events",
    "SELECT strftime('%H', timestamp) / 6 AS q, count(*) FROM events GROUP BY q",
    "SELECT CAST(strftime('%Y', timestamp) AS INTEGER) AS y, count(*) FROM events GROUP BY y",
    f"SELECT CAST({R} AS INTEGER) AS r, count(*) FROM events GROUP BY r",
    f"SELECT typeof({R}), count(*) FROM events GROUP BY 1",
    f"SELECT uuid, abs({R}), CAST({R} AS REAL) FROM events ORDER BY uuid LIMIT 20",
]


@pytest.mark.parametrize("sql", DEMO, ids=[s[:70] for s in DEMO])
def test_the_demos_number_statements_are_one_request_with_sqlites_rows(
    sql: str, emulator_server: EmulatorServer
) -> None:
    agrees_over_the_demo(sql, emulator_server)

"""A corpus of SELECT statements run against the emulator.

Each expected result is computed in Python from the API's raw JSON (the ``raw`` fixture pages the
list endpoints with plain ``requests``, not through the driver), never typed in, so the test checks
the whole SQL path (driver, pushdown, types, joins) against the API's own data. Every expected
result must hold a non-zero, non-NULL value: a case whose answer is empty or all zeros would pass
whatever the SQL path returned, so parameters are chosen from the data to select something.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import pytest

Raw = Callable[[str], list[dict[str, Any]]]


def ts(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(dt.timezone.utc)


def path(value: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list) and isinstance(key, int) and -len(value) <= key < len(value):
            value = value[key]
        else:
            return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return value


def nulls_first(value: Any) -> tuple[int, Any]:
    return (0, "") if value is None else (1, value)


def group_counts(values: Iterable[Any]) -> list[tuple[Any, int]]:
    """``GROUP BY x ORDER BY x`` with ``count(*)``: each value and how often it occurs, in
    SQLite's order (NULL first)."""
    return sorted(Counter(values).items(), key=lambda t: nulls_first(t[0]))


def ids(records: list[dict[str, Any]], *, where: Callable[[dict[str, Any]], bool] = bool) -> list:
    return sorted(r["id"] for r in records if where(r))


# (sql, params, expected(raw) -> rows, ordered)
Case = tuple[str, tuple[Any, ...], Callable[[Raw], list[tuple[Any, ...]]], bool]


def first(raw: Raw, table: str, field: str = "id") -> Any:
    records = sorted(raw(table), key=lambda r: str(r.get("id")))
    return records[0][field] if records else None


CASES: list[Case] = [
    (
        "SELECT id, name FROM dashboards ORDER BY id",
        (),
        lambda raw: sorted((r["id"], r.get("name")) for r in raw("dashboards")),
        True,
    ),
    ("SELECT count(*) FROM dashboards", (), lambda raw: [(len(raw("dashboards")),)], True),
    (
        "SELECT id FROM dashboards WHERE pinned = 1 ORDER BY id",
        (),
        lambda raw: [(i,) for i in ids(raw("dashboards"), where=lambda r: r.get("pinned") is True)],
        True,
    ),
    (
        "SELECT id FROM dashboards WHERE NOT pinned ORDER BY id",
        (),
        lambda raw: [
            (i,) for i in ids(raw("dashboards"), where=lambda r: r.get("pinned") is False)
        ],
        True,
    ),
    (
        "SELECT max(id), min(id), sum(id) FROM dashboards",
        (),
        lambda raw: [
            (max(ids(raw("dashboards"))), min(ids(raw("dashboards"))), sum(ids(raw("dashboards"))))
        ],
        True,
    ),
    (
        "SELECT id FROM dashboards ORDER BY id DESC LIMIT 3",
        (),
        lambda raw: [(i,) for i in sorted(ids(raw("dashboards")), reverse=True)[:3]],
        True,
    ),
    (
        "SELECT id FROM dashboards ORDER BY id LIMIT 2 OFFSET 1",
        (),
        lambda raw: [(i,) for i in ids(raw("dashboards"))[1:3]],
        True,
    ),
    (
        # A lower-case prefix that only some names have: SQLite's LIKE ignores ASCII case.
        "SELECT id FROM dashboards WHERE name LIKE ? ORDER BY id",
        ("@common_dashboard_word_like",),
        lambda raw: [
            (i,)
            for i in ids(
                raw("dashboards"),
                where=lambda r: (r.get("name") or "").lower().startswith(common_word(raw) + " "),
            )
        ],
        True,
    ),
    (
        "SELECT id, created_at FROM dashboards ORDER BY created_at, id",
        (),
        lambda raw: sorted(
            ((r["id"], ts(r.get("created_at"))) for r in raw("dashboards")),
            key=lambda t: (nulls_first(t[1]), t[0]),
        ),
        True,
    ),
    (
        "SELECT id, json_array_length(tags) FROM dashboards ORDER BY id",
        (),
        lambda raw: sorted(
            (r["id"], len(r["tags"]) if isinstance(r.get("tags"), list) else None)
            for r in raw("dashboards")
        ),
        True,
    ),
    (
        "SELECT json_extract(created_by, '$.email') AS e, count(*) FROM dashboards "
        "GROUP BY e ORDER BY e",
        (),
        lambda raw: group_counts(path(r.get("created_by"), "email") for r in raw("dashboards")),
        True,
    ),
    (
        "SELECT count(DISTINCT pinned) FROM dashboards",
        (),
        lambda raw: [(len({r.get("pinned") for r in raw("dashboards")} - {None}),)],
        True,
    ),
    (
        "SELECT upper(name) FROM dashboards WHERE name IS NOT NULL ORDER BY id",
        (),
        lambda raw: [
            (r["name"].upper(),)
            for r in sorted(raw("dashboards"), key=lambda r: r["id"])
            if r.get("name") is not None
        ],
        True,
    ),
    (
        "WITH p AS (SELECT id FROM dashboards WHERE pinned) SELECT count(*) FROM p",
        (),
        lambda raw: [(sum(1 for r in raw("dashboards") if r.get("pinned")),)],
        True,
    ),
    (
        "SELECT id, key FROM feature_flags ORDER BY id",
        (),
        lambda raw: sorted((r["id"], r.get("key")) for r in raw("feature_flags")),
        True,
    ),
    (
        "SELECT count(*) FROM feature_flags WHERE active = 1",
        (),
        lambda raw: [(sum(1 for r in raw("feature_flags") if r.get("active") is True),)],
        True,
    ),
    (
        "SELECT key FROM feature_flags WHERE active = 0 ORDER BY key",
        (),
        lambda raw: sorted(
            (r.get("key"),) for r in raw("feature_flags") if r.get("active") is False
        ),
        True,
    ),
    (
        "SELECT active, count(*) FROM feature_flags GROUP BY active ORDER BY active",
        (),
        lambda raw: group_counts(r.get("active") for r in raw("feature_flags")),
        True,
    ),
    (
        "SELECT key FROM feature_flags ORDER BY key LIMIT 5",
        (),
        lambda raw: sorted(
            ((r.get("key"),) for r in raw("feature_flags")), key=lambda t: nulls_first(t[0])
        )[:5],
        True,
    ),
    (
        "SELECT id, json_extract(filters, '$.groups[0].rollout_percentage') FROM feature_flags "
        "ORDER BY id",
        (),
        lambda raw: sorted(
            (r["id"], path(r.get("filters"), "groups", 0, "rollout_percentage"))
            for r in raw("feature_flags")
        ),
        True,
    ),
    (
        "SELECT id FROM feature_flags WHERE key = ?",
        ("@first_flag_key",),
        lambda raw: [(first(raw, "feature_flags"),)],
        False,
    ),
    (
        "SELECT id FROM feature_flags WHERE name = ? ORDER BY id",
        ("@first_flag_name",),
        lambda raw: [
            (r["id"],)
            for r in sorted(raw("feature_flags"), key=lambda r: r["id"])
            if r.get("name") == first(raw, "feature_flags", "name")
        ],
        True,
    ),
    (
        "SELECT id FROM insights ORDER BY id",
        (),
        lambda raw: [(i,) for i in ids(raw("insights"))],
        True,
    ),
    (
        "SELECT short_id, name FROM insights ORDER BY id",
        (),
        lambda raw: [
            (r.get("short_id"), r.get("name"))
            for r in sorted(raw("insights"), key=lambda r: r["id"])
        ],
        True,
    ),
    (
        # Every insight has a name in the demo; some flags have no rollout_percentage.
        "SELECT count(*) FROM feature_flags WHERE rollout_percentage IS NULL",
        (),
        lambda raw: [
            (sum(1 for r in raw("feature_flags") if r.get("rollout_percentage") is None),)
        ],
        True,
    ),
    (
        "SELECT id FROM insights WHERE short_id = ?",
        ("@first_insight_short_id",),
        lambda raw: [(first(raw, "insights"),)],
        False,
    ),
    (
        "SELECT count(*) FROM insights WHERE id > (SELECT min(id) FROM insights)",
        (),
        lambda raw: [(max(len(raw("insights")) - 1, 0),)],
        True,
    ),
    (
        "SELECT id, name FROM cohorts ORDER BY id",
        (),
        lambda raw: sorted((r["id"], r.get("name")) for r in raw("cohorts")),
        True,
    ),
    (
        "SELECT is_static, count(*) FROM cohorts GROUP BY is_static ORDER BY is_static",
        (),
        lambda raw: group_counts(r.get("is_static") for r in raw("cohorts")),
        True,
    ),
    (
        "SELECT id, content FROM annotations ORDER BY id",
        (),
        lambda raw: sorted((r["id"], r.get("content")) for r in raw("annotations")),
        True,
    ),
    (
        "SELECT id, name FROM actions ORDER BY id",
        (),
        lambda raw: sorted((r["id"], r.get("name")) for r in raw("actions")),
        True,
    ),
    ("SELECT count(*) FROM persons", (), lambda raw: [(len(raw("persons")),)], True),
    (
        "SELECT id FROM persons ORDER BY id LIMIT 5",
        (),
        lambda raw: sorted((str(r["id"]),) for r in raw("persons"))[:5],
        True,
    ),
    (
        "SELECT id, json_extract(properties, '$.email') FROM persons ORDER BY id LIMIT 10",
        (),
        lambda raw: sorted(
            (str(r["id"]), path(r.get("properties"), "email")) for r in raw("persons")
        )[:10],
        True,
    ),
    (
        "SELECT json_array_length(distinct_ids), count(*) FROM persons GROUP BY 1 ORDER BY 1",
        (),
        lambda raw: group_counts(len(r.get("distinct_ids") or []) for r in raw("persons")),
        True,
    ),
    (
        "SELECT i.id, d.id FROM insights i, json_each(i.dashboards) j "
        "JOIN dashboards d ON d.id = j.value ORDER BY 1, 2",
        (),
        lambda raw: sorted(
            (i["id"], d)
            for i in raw("insights")
            for d in (i.get("dashboards") or [])
            if d in set(ids(raw("dashboards")))
        ),
        True,
    ),
    (
        "SELECT count(*) FROM dashboards a JOIN dashboards b ON a.id = b.id",
        (),
        lambda raw: [(len(raw("dashboards")),)],
        True,
    ),
    (
        "SELECT f.id, d.id FROM feature_flags f JOIN dashboards d "
        "ON json_extract(f.created_by, '$.id') = json_extract(d.created_by, '$.id') ORDER BY 1, 2",
        (),
        lambda raw: sorted(
            (f["id"], d["id"])
            for f in raw("feature_flags")
            for d in raw("dashboards")
            if path(f.get("created_by"), "id") is not None
            and path(f.get("created_by"), "id") == path(d.get("created_by"), "id")
        ),
        True,
    ),
    (
        # No demo annotation has a dashboard_id, so the LEFT JOIN goes through insights' tiles.
        "SELECT d.id, count(t.value) FROM dashboards d LEFT JOIN "
        "(SELECT j.value FROM insights i, json_each(i.dashboards) j) t "
        "ON t.value = d.id GROUP BY d.id ORDER BY d.id",
        (),
        lambda raw: [
            (d, sum((i.get("dashboards") or []).count(d) for i in raw("insights")))
            for d in ids(raw("dashboards"))
        ],
        True,
    ),
    (
        "SELECT name FROM dashboards WHERE name IS NOT NULL UNION "
        "SELECT name FROM cohorts WHERE name IS NOT NULL ORDER BY 1",
        (),
        lambda raw: sorted(
            {(r["name"],) for t in ("dashboards", "cohorts") for r in raw(t) if r.get("name")}
            | {
                (r["name"],)
                for t in ("dashboards", "cohorts")
                for r in raw(t)
                if r.get("name") == ""
            }
        ),
        True,
    ),
    (
        "SELECT id FROM dashboards WHERE created_at >= ? ORDER BY id",
        ("@median_dashboard_created_at",),
        lambda raw: [
            (r["id"],)
            for r in sorted(raw("dashboards"), key=lambda r: r["id"])
            if (stamp := ts(r.get("created_at"))) and stamp >= median_created_at(raw)
        ],
        True,
    ),
    (
        "SELECT name FROM dashboards WHERE id = ?",
        ("@first_dashboard_id",),
        lambda raw: [
            (r.get("name"),) for r in raw("dashboards") if r["id"] == min(ids(raw("dashboards")))
        ],
        True,
    ),
    (
        "SELECT id FROM dashboards WHERE id IN (?, ?) ORDER BY id",
        ("@first_dashboard_id", "@last_dashboard_id"),
        lambda raw: sorted({(min(ids(raw("dashboards"))),), (max(ids(raw("dashboards"))),)}),
        True,
    ),
    (
        "SELECT id, row_number() OVER (ORDER BY id DESC) FROM feature_flags ORDER BY id",
        (),
        lambda raw: [
            (i, len(ids(raw("feature_flags"))) - n) for n, i in enumerate(ids(raw("feature_flags")))
        ],
        True,
    ),
]


def median_created_at(raw: Raw) -> dt.datetime:
    stamps = sorted(stamp for r in raw("dashboards") if (stamp := ts(r.get("created_at"))))
    return stamps[len(stamps) // 2]


def common_word(raw: Raw) -> str:
    """The most frequent first word of the dashboard names, lower-cased (ties: alphabetical)."""
    words = Counter(str(r.get("name") or "").split(" ")[0].lower() for r in raw("dashboards"))
    return min(words, key=lambda w: (-words[w], w))


def resolve(param: Any, raw: Raw) -> Any:
    """Parameters named ``@...`` are taken from the raw data, so no value is typed in."""
    if not (isinstance(param, str) and param.startswith("@")):
        return param
    if param == "@first_flag_key":
        return first(raw, "feature_flags", "key")
    if param == "@first_flag_name":
        return first(raw, "feature_flags", "name")
    if param == "@first_insight_short_id":
        return first(raw, "insights", "short_id")
    if param == "@first_dashboard_id":
        return min(ids(raw("dashboards")))
    if param == "@last_dashboard_id":
        return max(ids(raw("dashboards")))
    if param == "@common_dashboard_word_like":
        return common_word(raw) + " %"
    if param == "@median_dashboard_created_at":
        return median_created_at(raw)
    raise AssertionError(param)


def normalize(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """SQL JSON text and Python JSON dumps differ in spacing; compare the parsed values."""
    out = []
    for row in rows:
        items = []
        for value in row:
            if isinstance(value, str) and value[:1] in "[{":
                try:
                    value = json.dumps(json.loads(value), separators=(",", ":"))
                except ValueError:
                    pass
            items.append(value)
        out.append(tuple(items))
    return out


def selects_something(rows: list[tuple[Any, ...]]) -> bool:
    """Some value is neither 0, False, NULL nor empty: an answer a wrong path could miss."""
    return any(value not in (0, None, "", "[]", "{}") for row in rows for value in row)


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize(("sql", "params", "expected", "ordered"), CASES, ids=[c[0] for c in CASES])
def test_select_matches_raw_json(
    conn: Any, raw: Any, sql: str, params: tuple[Any, ...], expected: Any, ordered: bool
) -> None:
    cache: dict[str, list[dict[str, Any]]] = {}

    def cached(name: str) -> list[dict[str, Any]]:
        if name not in cache:
            cache[name] = raw(name)
        return cache[name]

    cur = conn.cursor()
    cur.execute(sql, tuple(resolve(p, cached) for p in params))
    got = normalize(cur.fetchall())
    want = normalize([tuple(row) for row in expected(cached)])
    assert selects_something(want), f"the demo data leave nothing for {sql!r} to select: {want}"
    if ordered:
        assert got == want
    else:
        assert sorted(got, key=repr) == sorted(want, key=repr)
    assert cur.rowcount == -1

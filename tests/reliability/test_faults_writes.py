"""Writes under faults: each row is written at most once, and a failed statement says exactly
which rows were applied and which one may have been.

The emulator's state is the judge: after every statement the test counts the rows in
``emulator.app.projects[1]`` (not through the API), so a duplicate or a lost write cannot hide.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from posthog_dbapi.exceptions import OperationalError, PartialWriteError

from .conftest import SERVER_HOLD, WRITE_FAULTS, fault_runs, faults_of, record


def live(emulator: Any, table: str) -> list[dict[str, Any]]:
    rows = emulator.app.projects[1].tables[table].rows.values()
    return [r for r in rows if not r.get("deleted")]


def name_counts(emulator: Any, table: str, prefix: str) -> Counter[str]:
    return Counter(r["name"] for r in live(emulator, table) if str(r["name"]).startswith(prefix))


def patches(emulator: Any, table: str, key: Any) -> int:
    """PATCHes of one record that got past the throttle (a 429 is certainly not applied)."""
    return sum(
        1
        for r in emulator.app.request_log
        if r.method == "PATCH"
        and r.status != 429
        and r.path.rstrip("/").endswith(f"/{table}/{key}")
    )


def check_insert(emulator: Any, table: str, names: list[str], error: Exception | None) -> str:
    """Every name exists at most once; the error, if any, accounts for every row."""
    prefix = names[0].rsplit("-", 1)[0]
    counts = name_counts(emulator, table, prefix)
    assert all(n <= 1 for n in counts.values()), counts  # never twice
    if error is None:
        assert [counts[n] for n in names] == [1] * len(names)
        return "ok"
    assert isinstance(error, OperationalError), repr(error)
    details = error.details
    assert "applied" in details and "uncertain" in details, details
    applied_names = {r["name"] for r in live(emulator, table) if r["id"] in details["applied"]}
    done = len(details["applied"])
    assert applied_names == set(names[:done])
    assert details["uncertain"]["name"] == names[done]
    assert all(counts[n] == 0 for n in names[done + 1 :])  # nothing after the failure
    return "uncertain"


def run_statement(cur: Any, sql: str, params: Any = ()) -> Exception | None:
    try:
        cur.execute(sql, params)
    except Exception as exc:
        return exc
    return None


# The seven INSERTed rows are seven POSTs at least, so each run meets a fault.
@pytest.mark.parametrize(("rate", "seed"), fault_runs(draws=7))
def test_writes_apply_once_or_say_what_happened(
    emulator: Any, make_conn: Any, rate: float, seed: int
) -> None:
    emulator.app.faults.timeout_delay = SERVER_HOLD
    cur = make_conn().cursor()
    emulator.app.faults.set_random(rate, WRITE_FAULTS, seed=seed)
    outcomes: Counter[str] = Counter()

    dashboards = [f"rel-{seed}-{i}" for i in range(4)]
    error = run_statement(
        cur, "INSERT INTO dashboards (name) VALUES (?), (?), (?), (?)", tuple(dashboards)
    )
    outcomes[check_insert(emulator, "dashboards", dashboards, error)] += 1

    surveys = [f"relsv-{seed}-{i}" for i in range(3)]
    error = run_statement(
        cur,
        "INSERT INTO surveys (name, type) VALUES (?, 'popover'), (?, 'popover'), (?, 'popover')",
        tuple(surveys),
    )
    outcomes[check_insert(emulator, "surveys", surveys, error)] += 1

    # UPDATE: each matching row is PATCHed at most once (a PATCH is never repeated blindly).
    targets = {r["id"] for r in live(emulator, "dashboards") if r["name"].startswith("rel-")}
    emulator.app.request_log.clear()
    error = run_statement(
        cur, "UPDATE dashboards SET description = 'reliable' WHERE name LIKE 'rel-%'"
    )
    described = {
        r["id"] for r in live(emulator, "dashboards") if r.get("description") == "reliable"
    }
    twice = {key: patches(emulator, "dashboards", key) for key in targets}
    assert all(n <= 1 for n in twice.values()), [
        (r.method, r.path, r.status) for r in emulator.app.request_log
    ]
    if error is None:
        assert described == targets
        outcomes["ok"] += 1
    else:
        assert isinstance(error, OperationalError), repr(error)
        applied = set(error.details["applied"])
        assert applied <= described <= applied | {error.details["uncertain"]}
        outcomes["uncertain"] += 1

    # DELETE, soft (dashboards) and hard (surveys): a delete may be repeated, so it is retried
    # and a row found gone on the retry counts as deleted.
    for table, prefix in (("dashboards", "rel-"), ("surveys", "relsv-")):
        before = {r["id"] for r in live(emulator, table) if r["name"].startswith(prefix)}
        error = run_statement(cur, f"DELETE FROM {table} WHERE name LIKE '{prefix}%'")
        after = {r["id"] for r in live(emulator, table) if r["name"].startswith(prefix)}
        if error is None:
            assert after == set(), table
            outcomes["ok"] += 1
        else:
            assert isinstance(error, OperationalError), repr(error)
            applied = {str(k) for k in error.details["applied"]}
            assert {str(k) for k in before - after} >= applied
            outcomes["uncertain"] += 1
    injected = faults_of(emulator)
    emulator.app.faults.clear()
    assert sum(injected.values()) > 0 and set(injected) <= set(WRITE_FAULTS), injected
    record(
        f"writes at {int(rate * 100)}% faults",
        runs=1,
        statements=sum(outcomes.values()),
        statements_ok=outcomes["ok"],
        statements_failed_with_account=outcomes["uncertain"],
        faults=sum(injected.values()),
        applied_then_500=injected.get("applied_500", 0),
    )


def test_apply_then_500_on_the_second_row_names_applied_and_uncertain_rows(
    emulator: Any, make_conn: Any
) -> None:
    cur = make_conn().cursor()
    emulator.app.faults.add("applied_500", method="POST", path=r"/dashboards/?$", after=1, times=1)
    with pytest.raises(PartialWriteError) as info:
        cur.execute("INSERT INTO dashboards (name) VALUES ('p-0'), ('p-1'), ('p-2')")
    details = info.value.details
    counts = name_counts(emulator, "dashboards", "p-")
    # The second row was applied by the server although the answer was a 500: it is exactly
    # the one the error calls uncertain, and it was not sent twice.
    assert counts == Counter({"p-0": 1, "p-1": 1})
    first = next(r["id"] for r in live(emulator, "dashboards") if r["name"] == "p-0")
    assert details["applied"] == [first]
    assert details["uncertain"] == {"name": "p-1"}
    assert "may" in info.value.message and "uncertain" in info.value.suggestion


def test_reset_before_the_server_saw_the_row_is_still_reported_uncertain(
    emulator: Any, make_conn: Any
) -> None:
    cur = make_conn().cursor()
    emulator.app.faults.add("reset", method="POST", path=r"/dashboards/?$", times=1)
    with pytest.raises(OperationalError) as info:
        cur.execute("INSERT INTO dashboards (name) VALUES ('r-0'), ('r-1')")
    # The client cannot know the server never saw it; it says so instead of retrying.
    assert info.value.details["applied"] == []
    assert info.value.details["uncertain"] == {"name": "r-0"}
    assert name_counts(emulator, "dashboards", "r-") == Counter()


def test_a_delete_whose_answer_was_lost_is_not_reported_as_failed(
    emulator: Any, make_conn: Any
) -> None:
    cur = make_conn().cursor()
    cur.execute("INSERT INTO surveys (name, type) VALUES ('gone-1', 'popover')")
    emulator.app.faults.add("applied_500", method="DELETE", path=r"/surveys/", times=1)
    cur.execute("DELETE FROM surveys WHERE name = 'gone-1'")
    assert cur.rowcount == 1
    assert not [r for r in live(emulator, "surveys") if r["name"] == "gone-1"]
    cur.execute("INSERT INTO dashboards (name) VALUES ('gone-2')")
    emulator.app.faults.add("applied_500", method="PATCH", path=r"/dashboards/", times=1)
    cur.execute("DELETE FROM dashboards WHERE name = 'gone-2'")
    assert not [r for r in live(emulator, "dashboards") if r["name"] == "gone-2"]


@pytest.mark.soak
@pytest.mark.parametrize(("rate", "seed"), fault_runs(draws=7, count=400, start=100))
def test_soak_writes_under_faults(emulator: Any, make_conn: Any, rate: float, seed: int) -> None:
    test_writes_apply_once_or_say_what_happened(emulator, make_conn, rate, seed)

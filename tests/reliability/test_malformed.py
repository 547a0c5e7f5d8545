"""Malformed answers (HTML error pages from a proxy, non-JSON bodies, bodies cut off, fields of
the wrong type, missing fields) end in a clear ``OperationalError`` or ``DataError``: never a
``KeyError``, ``TypeError`` or other stray exception, through the driver or the DB-API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from posthog_dbapi.exceptions import DataError, Error, OperationalError

KINDS = ("html", "garbage", "truncate", "wrong_types", "missing_fields")


def outcome(action: Callable[[], Any]) -> BaseException | None:
    try:
        action()
    except Exception as exc:
        return exc
    return None


@pytest.mark.parametrize("kind", KINDS)
def test_malformed_answers_give_clear_pep249_errors(
    emulator: Any, make_driver: Any, make_conn: Any, kind: str
) -> None:
    driver = make_driver(max_retries=1)
    cur = make_conn(max_retries=1).cursor()
    some_id = driver.read("/dashboards", limit=1)[0]["id"]
    lists = {
        "driver.read": lambda: driver.read("/dashboards"),
        "driver.iter_records": lambda: list(driver.iter_records("insights", page_size=7)),
        "driver.query": lambda: driver.query("SELECT event FROM events LIMIT 3"),
        "cursor SELECT": lambda: cur.execute("SELECT * FROM cohorts").fetchall(),
    }
    records = {
        "driver.retrieve": lambda: driver.retrieve("dashboards", some_id),
        "cursor lookup": lambda: cur.execute(
            "SELECT name FROM dashboards WHERE id = ?", (some_id,)
        ).fetchall(),
        "cursor INSERT": lambda: cur.execute("INSERT INTO annotations (content) VALUES ('x')"),
    }
    emulator.app.faults.add(kind, path=r"^/api/projects/")
    for name, action in lists.items():
        error = outcome(action)
        # A list whose body is broken is never taken for an empty or shorter list.
        assert isinstance(error, (OperationalError, DataError)), (name, repr(error))
        assert error.details.get("suggestion"), name
    for name, action in records.items():
        error = outcome(action)
        # A record with odd field types may still be readable; if not, the error is clear.
        assert error is None or isinstance(error, (OperationalError, DataError)), (
            name,
            repr(error),
        )
        if error is not None:
            assert isinstance(error, Error) and error.details.get("suggestion")
    emulator.app.faults.clear()
    assert cur.execute("SELECT count(*) FROM dashboards").fetchone()[0] > 0

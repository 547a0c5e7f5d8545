"""``connect()`` and driver options: a typo or a wrong type is an ``InterfaceError`` that names
it (and the known options) before any request; boolean text has one reading everywhere.

Also ``hogql=True`` with typed parameters, and ``Connection.close()`` when SQLite refuses.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import apsw
import pytest

import posthog_dbapi.dbapi as dbapi
from posthog_dbapi.driver import PostHogDriver
from posthog_dbapi.exceptions import DatabaseError, InterfaceError
from posthog_dbapi.pgwire.codec import OID
from posthog_dbapi.pgwire.paramcodec import decode_param
from posthog_dbapi.sql.pushdown_planner import plan
from posthog_dbapi.types import bool_from_text
from tests.oracle import middle_timestamp, stored_events


def _args(emulator: Any) -> dict[str, Any]:
    return {"api_url": emulator.url, "api_key": emulator.api_key, "project_id": 1}


def test_an_unknown_option_is_named_before_any_request(emulator: Any) -> None:
    emulator.app.request_log.clear()
    with pytest.raises(InterfaceError, match=r"unknown option.*bogus") as info:
        dbapi.connect(**_args(emulator), bogus=1)
    assert info.value.details["unknown"] == ["bogus"]
    assert {"timeout", "max_retries", "pushdown", "hogql", "driver"} <= set(
        info.value.details["known"]
    )
    assert "timeout" in info.value.suggestion
    assert list(emulator.app.request_log) == []


def test_driver_options_beside_a_driver_are_refused(driver: PostHogDriver) -> None:
    with pytest.raises(InterfaceError, match="timeout would be ignored"):
        dbapi.connect(driver=driver, timeout=5)
    with pytest.raises(InterfaceError, match=r"unknown option.*tiemout"):
        dbapi.connect(driver=driver, tiemout=5)


def test_known_options_still_reach_the_driver(emulator: Any) -> None:
    conn = dbapi.connect(**_args(emulator), timeout=7, max_retries=1, pushdown="off")
    try:
        assert isinstance(conn.driver, PostHogDriver)
        assert conn.driver.timeout == 7
        assert conn.pushdown == "off"
    finally:
        conn.close()


@pytest.mark.parametrize("value", ["1h", -1, None, True])
def test_schema_cache_ttl_is_checked(emulator: Any, tmp_path: Any, value: Any) -> None:
    with pytest.raises(InterfaceError, match="schema_cache_ttl"):
        PostHogDriver(**_args(emulator), schema_cache_dir=tmp_path, schema_cache_ttl=value)


def test_schema_cache_dir_must_be_a_path(emulator: Any) -> None:
    with pytest.raises(InterfaceError, match="schema_cache_dir"):
        PostHogDriver(**_args(emulator), schema_cache_dir=5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("ON", True), (" 1 ", True), ("t", True), ("false", False), ("no", False)],
)
def test_boolean_text_has_one_reading(text: str, expected: bool) -> None:
    assert bool_from_text(text) is expected
    assert decode_param(text.encode(), OID.BOOL, 0) is expected


@pytest.mark.parametrize("text", ["treu", "", "2", "yess"])
def test_a_boolean_typo_is_refused_everywhere(emulator: Any, text: str) -> None:
    with pytest.raises(ValueError):
        bool_from_text(text)
    with pytest.raises(ValueError):
        decode_param(text.encode(), OID.BOOL, 0)
    with pytest.raises(InterfaceError, match="hogql must be true or false"):
        dbapi.connect(**_args(emulator), hogql=text)


def test_hogql_text_false_means_false(emulator: Any) -> None:
    conn = dbapi.connect(**_args(emulator), hogql="false")
    try:
        assert conn.native_hogql is False
    finally:
        conn.close()


def test_a_bad_pushdown_mode_is_one_interface_error() -> None:
    with pytest.raises(InterfaceError, match="pushdown must be one of auto, off, required"):
        plan("SELECT event FROM events", pushdown="sometimes")
    with pytest.raises(InterfaceError, match="pushdown must be one of"):
        dbapi.connect(api_key="phx_x", pushdown="sometimes")


def test_native_hogql_takes_datetime_parameters(driver: PostHogDriver, emulator: Any) -> None:
    events = stored_events(emulator.app.projects[1].events)
    middle = middle_timestamp(events)
    expected = sum(1 for e in events if e["timestamp"] >= middle)
    assert 0 < expected < len(events)  # a bound inside the data decides the count
    conn = dbapi.connect(driver=driver, hogql=True)
    try:
        cur = conn.cursor()
        sql = "SELECT count() FROM events WHERE timestamp >= {p0}"
        cur.execute(sql, (middle,))
        assert cur.fetchall() == [(expected,)]
        two_hours_east = dt.timezone(dt.timedelta(hours=2))
        cur.execute("SELECT {p0}", (dt.datetime(2000, 1, 1, 12, tzinfo=two_hours_east),))
        assert cur.fetchall() == [("2000-01-01T10:00:00+00:00",)]
    finally:
        conn.close()


class _RefusingDatabase:
    """Stands in for the apsw connection at close: SQLite refuses, as when a statement is
    still running on it from another thread."""

    def __init__(self, real: apsw.Connection) -> None:
        self.real = real

    def close(self, force: bool = False) -> None:
        self.real.close(force)
        raise apsw.ThreadingViolationError("the connection is in use")


def test_close_turns_sqlite_errors_into_pep249_errors(driver: PostHogDriver) -> None:
    conn = dbapi.connect(driver=driver)
    conn._db = _RefusingDatabase(conn._db)  # type: ignore[assignment]
    with pytest.raises(DatabaseError, match="in use"):
        conn.close()
    assert conn.closed
    conn.close()  # a second close does nothing
